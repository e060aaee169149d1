"""Batched pair affinities and pair labels for training AffinityNet and IRN.

The training losses of AffinityNet (PSA ``train_aff.py``, reused by SEAM)
and IRN (``step/train_irn.py``) compare, for every pixel pair closer than a
radius, a predicted affinity with a label derived from the pseudo-masks.
The functions here give both in one differentiable layout, ``(N, P, h, w)``:
entry ``[n, p, y, x]`` is the pair linking source ``(y, x)`` to its partner
``(y + dy, x + dx)`` where ``(dy, dx) = pair_offsets(radius)[p]``, the pair
set and order of :mod:`.random_walk`'s dense matrices.

Partners outside the map are padded rather than cut away: a pair exists
for every source, and :func:`pair_valid` says which lie inside the map.
PSA (``tool/imutils.py::ExtractAffinityLabelInRadius``) and IRN
(``misc/indexing.py::PathIndex``) instead crop the sources to the window
whose partners all fit, so they never train pairs whose upper end lies
within ``radius - 1`` of the left, right or bottom border; here every
in-map pair trains, as every in-map pair is linked at inference
(:mod:`.random_walk`'s module docstring).
"""
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .random_walk import _path_points, pair_offsets


def _offsets(radius: int, where: str) -> List[Tuple[int, int]]:
    # radius 1 links nothing: there would be no pair to train.
    if isinstance(radius, bool) or not isinstance(radius, int) or radius < 2:
        raise ValueError(f'{where}: radius must be an int >= 2, '
                         f'got {radius!r}')
    return pair_offsets(radius)


def _pad(x: Tensor, radius: int, value: float) -> Tensor:
    """Pad the last two dims by ``radius - 1`` left, right and bottom.

    Offsets have ``dy >= 0`` and ``|dx| < radius``, so no partner lies
    above the map and every partner lies in the padded map.
    """
    pad = radius - 1
    return F.pad(x, (pad, pad, 0, pad), value=value)


def _shift(padded: Tensor, radius: int, height: int, width: int, dy: int,
           dx: int) -> Tensor:
    """The (h, w) window of ``padded`` holding each source's partner at
    ``(dy, dx)``."""
    x0 = radius - 1 + dx
    return padded[..., dy:dy + height, x0:x0 + width]


def _partners(x: Tensor, radius: int, value: float, where: str) -> Tensor:
    """(..., P, h, w): each pixel's partner values, ``value`` outside."""
    offsets = _offsets(radius, where)
    height, width = x.shape[-2:]
    padded = _pad(x, radius, value)
    return torch.stack([
        _shift(padded, radius, height, width, dy, dx) for dy, dx in offsets
    ], dim=-3)


def _check(x: Tensor, ndim: int, name: str, shape: str, where: str) -> None:
    if not isinstance(x, Tensor) or x.dim() != ndim or 0 in x.shape[-2:]:
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f'{where}: {name} must be a {shape} Tensor with '
                         f'h, w >= 1, got {got}')


def pair_valid(height: int, width: int, radius: int,
               device=None) -> Tensor:
    """Which pairs have both ends inside an ``(height, width)`` map.

    Args:
        height (int): Map height h.
        width (int): Map width w.
        radius (int): Pairs strictly closer than this, >= 2.
        device (torch.device, optional): Device of the result.

    Returns:
        Tensor: (P, h, w) bool, P = ``len(pair_offsets(radius))``.
    """
    inside = torch.ones(height, width, dtype=torch.bool, device=device)
    return _partners(inside, radius, False, 'pair_valid')


def pair_labels(label: Tensor,
                radius: int,
                ignore_index: int = 255) -> Dict[str, Tensor]:
    """Affinity labels of every pair, from a mask of class ids.

    PSA's ``tool/imutils.py::ExtractAffinityLabelInRadius`` and IRN's
    ``misc/indexing.py::GetAffinityLabelFromIndices`` (the same rule): a
    pair counts only if both ends are labelled (not ``ignore_index``, inside
    the map); it is a background positive if both are 0, a foreground
    positive if both carry the same id > 0, a negative if the ids differ.

    Args:
        label (Tensor): (N, h, w) integer ids, 0 = background,
            ``ignore_index`` = unsure.
        radius (int): Pairs strictly closer than this, >= 2.
        ignore_index (int): Unsure id. Defaults to 255.

    Returns:
        dict[str, Tensor]: ``bg_pos``, ``fg_pos`` and ``neg``, float
        (N, P, h, w) masks, pairwise disjoint.
    """
    where = 'pair_labels'
    _check(label, 3, 'label', '(N, h, w)', where)
    if label.is_floating_point():
        raise ValueError(f'{where}: label must hold integer ids, '
                         f'got {label.dtype}')
    src = label[:, None]
    dst = _partners(label, radius, ignore_index, where)
    valid = (src != ignore_index) & (dst != ignore_index)
    equal = valid & (src == dst)
    return dict(
        bg_pos=(equal & (src == 0)).float(),
        fg_pos=(equal & (src > 0)).float(),
        neg=(valid & (src != dst)).float())


def pair_feature_affinity(feat: Tensor, radius: int) -> Tensor:
    """AffinityNet's affinity of every pair, ``exp(-mean_c |f_i - f_j|)``.

    PSA ``network/resnet38_aff.py::Net.forward`` (training branch): the
    mean, not the sum, of the absolute feature difference over channels.
    On valid pairs it equals :func:`.random_walk.affinity_from_features`
    with ``beta=1``; pairs leaving the map are 0.

    Args:
        feat (Tensor): (N, C, h, w) features.
        radius (int): Pairs strictly closer than this, >= 2.

    Returns:
        Tensor: (N, P, h, w) affinities in (0, 1], differentiable.
    """
    where = 'pair_feature_affinity'
    _check(feat, 4, 'feat', '(N, C, h, w)', where)
    height, width = feat.shape[-2:]
    dst = _partners(feat, radius, 0., where)
    aff = torch.exp(-(feat[:, :, None] - dst).abs().mean(1))
    return aff * pair_valid(height, width, radius, feat.device)


def pair_boundary_affinity(boundary: Tensor, radius: int) -> Tensor:
    """IRN's affinity of every pair, 1 - the boundary's max on their path.

    IRN ``misc/indexing.py::edge_to_affinity`` over
    ``PathIndex(radius=10)`` paths (``net/resnet50_irn.py::
    AffinityDisplacementLoss.to_affinity``): the path is
    :func:`.random_walk._path_points`, ends included. The map is padded
    with boundary 1, as IRN's ``propagate_to_edge`` pads it, so pairs
    leaving the map are 0; on valid pairs this equals
    :func:`.random_walk.affinity_from_boundary` with ``beta=1``.

    Args:
        boundary (Tensor): (N, h, w) boundary probabilities in [0, 1].
        radius (int): Pairs strictly closer than this, >= 2 (IRN's path
            radius, 10).

    Returns:
        Tensor: (N, P, h, w) affinities in [0, 1], differentiable.
    """
    where = 'pair_boundary_affinity'
    _check(boundary, 3, 'boundary', '(N, h, w)', where)
    offsets = _offsets(radius, where)
    height, width = boundary.shape[-2:]
    padded = _pad(boundary, radius, 1.)
    # Paths stay in the bounding box of their ends, so within the padding.
    return torch.stack([
        1 - torch.stack([
            _shift(padded, radius, height, width, py, px)
            for py, px in _path_points(dy, dx)
        ]).amax(0) for dy, dx in offsets
    ], dim=1)


def pair_displacement(disp: Tensor, radius: int) -> Tuple[Tensor, Tensor]:
    """Displacement differences of every pair and their targets.

    IRN ``net/resnet50_irn.py::AffinityDisplacementLoss``:
    ``to_pair_displacement`` gives ``d_i - d_j`` (source minus partner) and
    ``disp_target`` the offset ``(dy, dx)`` from source to partner. A field
    pointing every pixel of an instance to its centroid ``c``,
    ``d_i = c - p_i``, gives ``d_i - d_j = p_j - p_i``: the target, so zero
    loss on its foreground pairs.

    Args:
        disp (Tensor): (N, 2, h, w) displacements (dy, dx), in grid cells.
        radius (int): Pairs strictly closer than this, >= 2.

    Returns:
        tuple[Tensor, Tensor]: (N, 2, P, h, w) differences (0 for partners
        outside the map, which no label selects) and (1, 2, P, 1, 1)
        targets, disp's dtype and device.
    """
    where = 'pair_displacement'
    _check(disp, 4, 'disp', '(N, 2, h, w)', where)
    if disp.shape[1] != 2:
        raise ValueError(f'{where}: disp must have 2 channels (dy, dx), '
                         f'got shape {tuple(disp.shape)}')
    height, width = disp.shape[-2:]
    valid = pair_valid(height, width, radius, disp.device)
    diff = (disp[:, :, None] - _partners(disp, radius, 0., where)) * valid
    target = torch.tensor(
        _offsets(radius, where), dtype=disp.dtype, device=disp.device)
    return diff, target.t()[None, :, :, None, None]
