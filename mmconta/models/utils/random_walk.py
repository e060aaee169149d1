"""Random-walk refinement of CAMs over pixel affinities: AffinityNet and IRN.

AffinityNet (PSA; Ahn and Kwak, CVPR 2018, https://arxiv.org/abs/1803.10464;
code jiwoon-ahn/psa), which SEAM reuses (Wang et al., CVPR 2020,
https://arxiv.org/abs/2004.04581; code YudeWang/SEAM), predicts affinities
from the distance between pixel features; IRN (Ahn et al., CVPR 2019,
https://arxiv.org/abs/1904.05044; code jiwoon-ahn/irn) derives them from a
class-boundary map. Both then propagate the CAMs with a random walk over a
dense transition matrix raised to a power of two.

Conventions shared by every function here:

* Pixel ``(y, x)`` of an ``(H, W)`` map is vertex ``y * W + x`` (row-major,
  as ``tensor.view(-1)`` flattens it).
* Only pairs closer than ``radius`` are linked (:func:`pair_offsets`); every
  in-image pair is linked, as in IRN, which pads the boundary map by
  ``radius`` on the left, right and bottom and crops the padding away
  (``misc/indexing.py::propagate_to_edge``). PSA's
  ``tool/pyutils.py::get_indices_of_pairs`` does not pad, so it never links
  two pixels whose upper-left end lies within ``radius - 1`` of the bottom,
  left or right border; we do not reproduce that border effect.
* Affinity matrices are dense ``(N, N)`` with ``N = H * W``, symmetric, 1 on
  the diagonal and 0 beyond the radius, as the references build them
  (``affinity_sparse2dense`` in IRN, ``Net.forward(x, to_dense=True)`` in
  PSA's ``network/resnet38_aff.py``). A float32 matrix takes ``4 * N**2``
  bytes: 39 MB for PSA's 56 x 56 maps (448 / 8), 1 GiB for IRN's 128 x 128
  maps (512 / 4); squaring it holds about three at once. These functions are
  meant for such feature-resolution maps, not for full-resolution images.
"""
import functools
from typing import Callable, List, Optional, Tuple

import torch
from torch import Tensor

Offset = Tuple[int, int]
_flush_depth = 0


def _flushing_denormals(func: Callable) -> Callable:
    """Run ``func`` with subnormal floats flushed to zero (on CPUs).

    Affinities raised to ``beta`` and their products in the squarings are
    often subnormal (below 1.2e-38 in float32), which CPUs multiply about
    ten times slower: AffinityNet's walk at beta 32 took 0.43 s per 112-px
    image, 0.035 s flushed. Flushing changes no value by more than 1.2e-38.
    torch cannot read the setting, so the outermost call restores torch's
    default (off).
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        global _flush_depth
        if _flush_depth == 0:
            torch.set_flush_denormal(True)
        _flush_depth += 1
        try:
            return func(*args, **kwargs)
        finally:
            _flush_depth -= 1
            if _flush_depth == 0:
                torch.set_flush_denormal(False)

    return wrapper


def _check_radius(radius: int, where: str) -> None:
    # bool is an int subclass; radius=True would silently mean 1.
    if isinstance(radius, bool) or not isinstance(radius, int) or radius < 1:
        raise ValueError(f'{where}: radius must be an int >= 1, '
                         f'got {radius!r}')


def _check_beta(beta: float, where: str) -> None:
    # beta <= 0 would turn the zero affinities of unlinked pairs into 1
    # (0 ** 0) or infinity, linking everything.
    if not isinstance(beta, (int, float)) or isinstance(beta, bool) \
            or not beta > 0:
        raise ValueError(f'{where}: beta must be a number > 0, got {beta!r}')


def _check_map(x: Tensor, ndim: int, name: str, shape: str,
               where: str) -> None:
    if not isinstance(x, Tensor):
        raise ValueError(f'{where}: {name} must be a Tensor, '
                         f'got {type(x).__name__}')
    if x.dim() != ndim or 0 in x.shape[-2:]:
        raise ValueError(f'{where}: {name} must be {shape} with H, W >= 1, '
                         f'got shape {tuple(x.shape)}')
    if not x.is_floating_point():
        raise ValueError(f'{where}: {name} must be floating point, '
                         f'got {x.dtype}')


def pair_offsets(radius: int) -> List[Offset]:
    """Offsets ``(dy, dx)`` of the linked pixel pairs, each pair once.

    The convention of PSA's ``tool/pyutils.py::get_indices_of_pairs`` and
    IRN's ``misc/indexing.py::PathIndex.get_search_paths_dst``: the offsets
    with ``dy**2 + dx**2 < radius**2`` (strictly) in the half-plane
    ``dy > 0 or (dy == 0 and dx > 0)``. The half-plane keeps one of
    ``(dy, dx)`` and ``(-dy, -dx)``, so every unordered pair appears once,
    and ``(0, 0)`` (the self pair, whose affinity is fixed at 1) is left
    out. Order: ``(0, 1), ..., (0, radius - 1)``, then row by row
    ``dy = 1, ..., radius - 1`` with ``dx`` increasing, as PSA lists them
    (IRN regroups them by path length; the set is the same).

    ``radius=1`` gives no offsets (no pixel is closer than 1), so the walk
    is then the identity; ``radius=2`` gives the 8-neighbourhood; PSA, SEAM
    and IRN's random walk use ``radius=5`` (34 offsets, 68 neighbours).

    Args:
        radius (int): Pairs strictly closer than this are linked; >= 1.

    Returns:
        list[tuple[int, int]]: The ``(dy, dx)`` offsets.
    """
    _check_radius(radius, 'pair_offsets')
    offsets = [(0, dx) for dx in range(1, radius)]
    offsets += [(dy, dx) for dy in range(1, radius)
                for dx in range(1 - radius, radius)
                if dy * dy + dx * dx < radius * radius]
    return offsets


def _pair_windows(height: int, width: int, offset: Offset):
    """Top-left corner and size of the window of sources for ``offset``.

    Source ``(y, x)`` lies in ``[0, h) x [x0, x0 + w)`` and its partner at
    ``(y + dy, x + dx)`` is still in the image. Returns None if no pair
    fits.
    """
    dy, dx = offset
    h, w = height - dy, width - abs(dx)
    if h <= 0 or w <= 0:
        return None
    return max(0, -dx), h, w


def _pair_affinity(height: int, width: int, radius: int, beta: float,
                   like: Tensor,
                   pair_value: Callable[[int, int, int, int, int], Tensor]
                   ) -> Tensor:
    """Dense symmetric (N, N) affinity, 1 on the diagonal, from pair values.

    ``pair_value(dy, dx, x0, h, w)`` gives the (h, w) affinities of the
    pairs of offset ``(dy, dx)`` whose sources fill the window
    ``[0, h) x [x0, x0 + w)`` (see :func:`_pair_windows`); offsets for which
    no pair fits are skipped.
    """
    n = height * width
    affinity = torch.eye(n, dtype=like.dtype, device=like.device)
    index = torch.arange(n, device=like.device).view(height, width)
    for dy, dx in pair_offsets(radius):
        window = _pair_windows(height, width, (dy, dx))
        if window is None:
            continue
        x0, h, w = window
        src = index[:h, x0:x0 + w].reshape(-1)
        dst = index[dy:dy + h, x0 + dx:x0 + dx + w].reshape(-1)
        # The power is taken per pair: the diagonal (1) and the unlinked
        # pairs (0) are fixed points of x ** beta for beta > 0, so this
        # equals the references' power of the whole dense matrix.
        value = pair_value(dy, dx, x0, h, w).reshape(-1).pow(beta)
        affinity[src, dst] = value
        affinity[dst, src] = value
    return affinity


def affinity_from_features(feat: Tensor,
                           radius: int = 5,
                           beta: float = 8.0) -> Tensor:
    """AffinityNet's feature affinities, as a dense matrix.

    ``a_ij = exp(-mean_c |f_ci - f_cj|) ** beta`` for the pairs closer than
    ``radius`` (PSA ``network/resnet38_aff.py::Net.forward``:
    ``torch.exp(-torch.mean(torch.abs(ft - ff), dim=1))``; SEAM uses the same
    network), ``a_ii = 1``, 0 elsewhere; the power ``beta`` is the one PSA's
    and SEAM's ``infer_aff.py`` apply to the dense matrix before the walk
    (``--beta``, 8 in both). Identical features give 1, features far apart
    (in mean L1 distance) give nearly 0.

    See the module docstring for the pixel order and the memory cost.

    Args:
        feat (Tensor): (C, H, W) floating-point features of one image.
        radius (int): Pairs strictly closer than this are linked
            (:func:`pair_offsets`). Defaults to 5 (PSA, SEAM).
        beta (float): Power applied to each affinity, > 0. Defaults to 8
            (PSA, SEAM).

    Returns:
        Tensor: (H*W, H*W) symmetric affinities in [0, 1], feat's dtype and
        device.
    """
    where = 'affinity_from_features'
    _check_map(feat, 3, 'feat', '(C, H, W)', where)
    if feat.shape[0] == 0:
        raise ValueError(f'{where}: feat needs C >= 1 channels, '
                         f'got shape {tuple(feat.shape)}')
    _check_radius(radius, where)
    _check_beta(beta, where)
    _, height, width = feat.shape

    def feature_affinity(dy: int, dx: int, x0: int, h: int,
                         w: int) -> Tensor:
        src = feat[:, :h, x0:x0 + w]
        dst = feat[:, dy:dy + h, x0 + dx:x0 + dx + w]
        # Mean, not sum, over channels: the scale of beta does not depend
        # on the feature width (448 channels in PSA).
        return torch.exp(-(src - dst).abs().mean(0))

    return _pair_affinity(height, width, radius, beta, feat,
                          feature_affinity)


def _path_points(dy: int, dx: int) -> List[Offset]:
    """Lattice points on the straight path from (0, 0) to (dy, dx).

    IRN's rule (``misc/indexing.py::PathIndex.get_search_paths_dst``): the
    points of the bounding box of the two ends whose distance to the line
    through them is under one pixel, ends included. Compared in integers:
    ``(dy*x - dx*y)**2 / (dy**2 + dx**2) < 1``.
    """
    length_sq = dy * dy + dx * dx
    return [(y, x) for y in range(min(0, dy), max(0, dy) + 1)
            for x in range(min(0, dx), max(0, dx) + 1)
            if (dy * x - dx * y) ** 2 < length_sq]


def affinity_from_boundary(boundary: Tensor,
                           radius: int = 5,
                           beta: float = 10.0) -> Tensor:
    """IRN's boundary affinities, as a dense matrix.

    ``a_ij = (1 - max_{k on path(i, j)} B_k) ** beta`` for the pairs closer
    than ``radius``, where the path is the straight line of pixels from i
    to j, both ends included (IRN ``misc/indexing.py::edge_to_affinity``
    over ``PathIndex`` paths), ``a_ii = 1``, 0 elsewhere; the power is
    IRN's ``to_transition_matrix(..., beta)`` (``--beta`` 10 in
    ``run_sample.py``). So two pixels are unrelated as soon as any pixel
    between them, or either of them, lies on a boundary; a pixel on a
    boundary of 1 keeps only its self-affinity.

    IRN computes these at ``radius=5`` for the walk (``make_sem_seg_labels``
    passes ``radius=5``; its ``--path_radius`` 10 is for training labels).

    Args:
        boundary (Tensor): (H, W) class-boundary probabilities in [0, 1]
            (IRN's ``EdgeDisplacement`` output ``edge[0]``).
        radius (int): Pairs strictly closer than this are linked
            (:func:`pair_offsets`). Defaults to 5 (IRN).
        beta (float): Power applied to each affinity, > 0. Defaults to 10
            (IRN).

    Returns:
        Tensor: (H*W, H*W) symmetric affinities in [0, 1], boundary's dtype
        and device.
    """
    where = 'affinity_from_boundary'
    _check_map(boundary, 2, 'boundary', '(H, W)', where)
    _check_radius(radius, where)
    _check_beta(beta, where)
    # Outside [0, 1] the affinity would leave [0, 1] and a fractional power
    # of a negative number is NaN.
    if boundary.numel() and not bool(
            ((boundary >= 0) & (boundary <= 1)).all()):
        raise ValueError(f'{where}: boundary must lie in [0, 1], got values '
                         f'in [{boundary.min().item()}, '
                         f'{boundary.max().item()}]')
    height, width = boundary.shape

    def path_affinity(dy: int, dx: int, x0: int, h: int, w: int) -> Tensor:
        # Each path point, shifted over the window of sources; the path
        # stays in the bounding box of its ends, so inside the image.
        on_path = torch.stack([
            boundary[py:py + h, x0 + px:x0 + px + w]
            for py, px in _path_points(dy, dx)
        ])
        return 1 - on_path.amax(0)

    return _pair_affinity(height, width, radius, beta, boundary,
                          path_affinity)


def _check_affinity(affinity: Tensor, where: str) -> None:
    if not isinstance(affinity, Tensor) or affinity.dim() != 2 \
            or affinity.shape[0] != affinity.shape[1]:
        shape = tuple(affinity.shape) if isinstance(affinity, Tensor) \
            else type(affinity).__name__
        raise ValueError(f'{where}: affinity must be a square (N, N) '
                         f'Tensor, got {shape}')
    if not affinity.is_floating_point():
        raise ValueError(f'{where}: affinity must be floating point, '
                         f'got {affinity.dtype}')


def _check_logt(logt: int, where: str) -> None:
    if isinstance(logt, bool) or not isinstance(logt, int) or logt < 0:
        raise ValueError(f'{where}: logt must be an int >= 0, got {logt!r}')


def _normalise_columns(affinity: Tensor, where: str) -> Tensor:
    if bool((affinity < 0).any()):
        raise ValueError(f'{where}: affinity must be non-negative, got a '
                         f'minimum of {affinity.min().item()}')
    degree = affinity.sum(0, keepdim=True)
    # A zero column (a pixel linked to nothing, not even itself) has no
    # transition probabilities; the references never make one, since their
    # diagonal is 1.
    empty = (degree[0] <= 0).nonzero().flatten()
    if len(empty):
        raise ValueError(f'{where}: affinity columns {empty[:5].tolist()} '
                         'sum to 0; give every pixel a positive '
                         'self-affinity')
    return affinity / degree


@_flushing_denormals
def transition_matrix(affinity: Tensor, logt: int = 0) -> Tensor:
    """Column-normalised transition matrix raised to the power ``2**logt``.

    ``T = A D^-1`` with ``D = diag(sum_i A_ij)``, so every column sums to 1
    (``trans_mat = aff / torch.sum(aff, dim=0, keepdim=True)`` in PSA's and
    SEAM's ``infer_aff.py`` and in IRN's
    ``misc/indexing.py::to_transition_matrix``), then squared ``logt`` times
    as they do. Columns still sum to 1 after squaring.

    For a symmetric A, ``T = (D^-1 A)^T``: propagating row vectors as
    ``c @ T`` is the paper's ``vec(c') = D^-1 A vec(c)`` with the
    row-normalised ``D^-1 A``.

    Args:
        affinity (Tensor): (N, N) non-negative affinities (beta already
            applied), every column with a positive sum.
        logt (int): Number of squarings, >= 0. Defaults to 0.

    Returns:
        Tensor: (N, N) ``T ** (2 ** logt)``.
    """
    where = 'transition_matrix'
    _check_affinity(affinity, where)
    _check_logt(logt, where)
    trans = _normalise_columns(affinity, where)
    for _ in range(logt):
        trans = trans @ trans
    return trans


@_flushing_denormals
def random_walk(affinity: Tensor,
                cams: Tensor,
                logt: int = 8,
                boundary: Optional[Tensor] = None,
                bg_alpha: Optional[float] = None,
                bg_thr: Optional[float] = None,
                squaring: bool = True) -> Tensor:
    """Propagate CAMs by a ``2**logt``-step random walk over ``affinity``.

    ``c' = c @ T ** (2 ** logt)`` with the column-normalised ``T`` of
    :func:`transition_matrix` and ``c`` the (K, H*W) flattened CAMs, as PSA's
    and SEAM's ``infer_aff.py`` (``cam_rw = torch.matmul(cam_vec,
    trans_mat)``) and IRN's ``misc/indexing.py::propagate_to_edge`` do. Each
    output pixel is thus a convex combination of the input pixels: a
    constant map is unchanged, nothing crosses between pixels of zero
    affinity (no leak between disconnected regions), and for a symmetric
    affinity the degree-weighted sum ``sum_j d_j c_j`` (``d`` = column sums
    of ``affinity``) is preserved, not the plain sum.

    The walk length: PSA ``--logt`` 8, SEAM ``--logt`` 6, IRN
    ``--exp_times`` 8 (all ``2**logt`` steps by repeated squaring).

    Background, at most one of:

    * ``bg_alpha`` (PSA, SEAM ``infer_aff.py``): before the walk, prepend
      the plane ``(1 - max_k cams_k) ** bg_alpha`` and walk it with the
      CAMs (``--alpha`` 16 in PSA, 6 in SEAM). PSA computes it at full
      resolution before its 8x average pooling; to match that exactly,
      build the plane yourself, pool it and pass it as a channel of
      ``cams`` with ``bg_alpha=None``.
    * ``bg_thr`` (IRN ``step/make_sem_seg_labels.py``): walk the CAMs alone,
      divide them by their maximum over all classes and pixels, then
      prepend a constant plane ``bg_thr`` (``--sem_seg_bg_thres`` 0.25); the
      argmax over the result is IRN's label. IRN divides after its 4x
      bilinear upsampling, whose maximum can be a little lower; upsample
      and re-normalise the foreground yourself to match it exactly.

    Args:
        affinity (Tensor): (H*W, H*W) non-negative affinities, beta already
            applied (:func:`affinity_from_features`,
            :func:`affinity_from_boundary`).
        cams (Tensor): (K, H, W) CAMs, K >= 0, pixels ordered as in the
            module docstring; cast to affinity's dtype.
        logt (int): Squarings of the transition matrix, >= 0; the walk
            takes ``2**logt`` steps. Defaults to 8 (PSA, IRN).
        boundary (Tensor, optional): (H, W) boundary map; if given, the
            CAMs are first multiplied by ``1 - boundary``, as IRN's
            ``propagate_to_edge`` does so that boundary pixels seed nothing.
            A ``bg_alpha`` plane is made from the CAMs before this.
            Defaults to None.
        bg_alpha (float, optional): PSA's background power, > 0.
            Defaults to None.
        bg_thr (float, optional): IRN's background threshold.
            Defaults to None.
        squaring (bool): True squares T ``logt`` times as the references
            do, O(logt * N**3); False multiplies the CAMs by T ``2**logt``
            times instead, O(2**logt * K * N**2), the same walk up to
            rounding and much cheaper for large N on a CPU.
            Defaults to True.

    Returns:
        Tensor: (K, H, W) walked CAMs, or (K + 1, H, W) with the background
        in channel 0 when ``bg_alpha`` or ``bg_thr`` is given; affinity's
        dtype and device.
    """
    where = 'random_walk'
    _check_affinity(affinity, where)
    _check_map(cams, 3, 'cams', '(K, H, W)', where)
    _check_logt(logt, where)
    num, height, width = cams.shape
    if affinity.shape[0] != height * width:
        raise ValueError(f'{where}: affinity is {tuple(affinity.shape)} but '
                         f'cams of shape {tuple(cams.shape)} need '
                         f'({height * width}, {height * width})')
    if bg_alpha is not None and bg_thr is not None:
        raise ValueError(f'{where}: give bg_alpha (PSA) or bg_thr (IRN), '
                         f'not both; got {bg_alpha!r} and {bg_thr!r}')
    if bg_alpha is not None and not (isinstance(bg_alpha, (int, float))
                                     and bg_alpha > 0):
        raise ValueError(f'{where}: bg_alpha must be a number > 0, '
                         f'got {bg_alpha!r}')
    if bg_thr is not None and not isinstance(bg_thr, (int, float)):
        raise ValueError(f'{where}: bg_thr must be a number, got {bg_thr!r}')
    cams = cams.to(affinity)

    if bg_alpha is not None:
        # With no class in the image every pixel is background: max = 0.
        peak = cams.amax(0) if num else cams.new_zeros(height, width)
        background = (1 - peak).pow(bg_alpha)
    if boundary is not None:
        _check_map(boundary, 2, 'boundary', '(H, W)', where)
        if boundary.shape != cams.shape[1:]:
            raise ValueError(f'{where}: boundary of shape '
                             f'{tuple(boundary.shape)} does not match cams '
                             f'of shape {tuple(cams.shape)}')
        cams = cams * (1 - boundary.to(cams))
    if bg_alpha is not None:
        cams = torch.cat([background[None], cams])

    vec = cams.reshape(len(cams), height * width)
    if squaring:
        vec = vec @ transition_matrix(affinity, logt)
    else:
        trans = _normalise_columns(affinity, where)
        for _ in range(2**logt):
            vec = vec @ trans
    out = vec.view(len(cams), height, width)

    if bg_thr is not None:
        peak = out.max() if num else out.new_zeros(())
        # All-zero CAMs stay zero rather than 0 / 0: the background wins.
        if peak > 0:
            out = out / peak
        out = torch.cat([out.new_full((1, height, width), bg_thr), out])
    return out
