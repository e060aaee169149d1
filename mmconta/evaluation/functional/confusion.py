"""Per-class pixel areas of predictions against labels, by ``bincount``.

Areas are int64 counts so that sums over images and ranks are exact; IoU is
computed once, from the summed areas (as mmseg's ``IoUMetric``).
"""
import warnings
from typing import Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

ArrayLike = Union[np.ndarray, Tensor]


def _flat(x: ArrayLike) -> Tensor:
    """A flat CPU tensor; numpy arrays are shared, not copied."""
    if not isinstance(x, Tensor):
        # torch refuses numpy views with negative strides (flipped arrays).
        x = torch.from_numpy(np.ascontiguousarray(x))
    return x.detach().cpu().reshape(-1)


def _flat_ids(x: ArrayLike, name: str, num_classes: int,
              ignore_index: int) -> Tensor:
    """Flatten to int64 and refuse ids outside [0, num_classes) + ignore."""
    x = _flat(x).long()
    bad = (x < 0) | ((x >= num_classes) & (x != ignore_index))
    if bad.any():
        raise ValueError(
            f'{name} holds id {int(x[bad][0])}, outside [0, {num_classes}) '
            f'and not ignore_index={ignore_index}')
    return x


def intersect_and_union(pred: ArrayLike,
                        label: ArrayLike,
                        num_classes: int,
                        ignore_index: int = 255
                        ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Per-class areas of one prediction, as mmseg's function of this name.

    A pixel counts when neither its label nor its prediction is
    ``ignore_index``: a pseudo-mask's ignored pixels claim no class, and
    their share is reported apart (``PseudoMaskMetric``'s ``ignore_ratio``)
    instead of being scored as background.

    Args:
        pred (np.ndarray | Tensor): Predicted ids, any shape.
        label (np.ndarray | Tensor): Label ids, the same number of pixels.
        num_classes (int): Number of classes, background included.
        ignore_index (int): Id left out. Defaults to 255.

    Returns:
        tuple[Tensor]: ``area_intersect``, ``area_union``, ``area_pred``,
        ``area_label``, each (num_classes,) int64.
    """
    pred = _flat_ids(pred, 'pred', num_classes, ignore_index)
    label = _flat_ids(label, 'label', num_classes, ignore_index)
    if pred.numel() != label.numel():
        raise ValueError(f'pred has {pred.numel()} pixels but label '
                         f'{label.numel()}')
    valid = (pred != ignore_index) & (label != ignore_index)
    # One bincount over (label, pred) pairs gives the confusion matrix.
    confusion = torch.bincount(
        label[valid] * num_classes + pred[valid],
        minlength=num_classes**2).reshape(num_classes, num_classes)
    area_intersect = confusion.diagonal().clone()
    area_pred = confusion.sum(0)
    area_label = confusion.sum(1)
    return (area_intersect, area_pred + area_label - area_intersect,
            area_pred, area_label)


def seed_sweep_areas(peak: ArrayLike,
                     best: ArrayLike,
                     label: ArrayLike,
                     thresholds: Sequence[float],
                     num_classes: int,
                     ignore_index: int = 255) -> Tensor:
    """Per-class areas of the seeds ``where(peak > t, best, 0)`` for each t.

    One pass over the pixels whatever the number of thresholds: each pixel
    falls in the bin of how many thresholds its ``peak`` exceeds; a joint
    histogram of (bin, best, label) is summed cumulatively over bins into
    one confusion matrix per threshold.

    Args:
        peak (np.ndarray | Tensor): (H, W) strongest CAM value per pixel
            (``cam_argmax``); thresholds are compared in its float dtype,
            as :func:`cam_to_seed` does.
        best (np.ndarray | Tensor): (H, W) mask id of that CAM's class.
        label (np.ndarray | Tensor): (H, W) label ids.
        thresholds (Sequence[float]): Background thresholds, ascending.
        num_classes (int): Number of classes, background included.
        ignore_index (int): Label id left out. Defaults to 255.

    Returns:
        Tensor: (T, 3, num_classes) int64: ``area_intersect``, ``area_pred``
        and ``area_label`` for each threshold.
    """
    peak = _flat(peak)
    if not peak.is_floating_point() or peak.isnan().any():
        raise ValueError(f'peak must be float without NaN, got {peak.dtype}'
                         f'{" with NaN" if peak.is_floating_point() else ""}')
    best = _flat_ids(best, 'best', num_classes, ignore_index)
    label = _flat_ids(label, 'label', num_classes, ignore_index)
    if not peak.numel() == best.numel() == label.numel():
        raise ValueError(f'peak, best and label have {peak.numel()}, '
                         f'{best.numel()} and {label.numel()} pixels')
    if (best == ignore_index).any():
        raise ValueError(f'best holds ignore_index={ignore_index}')
    thr = torch.as_tensor(thresholds, dtype=peak.dtype)
    if thr.ndim != 1 or not len(thr) or (thr[1:] < thr[:-1]).any():
        raise ValueError(f'thresholds must be a non-empty ascending '
                         f'sequence, got {list(thresholds)}')
    num_thr, c = len(thr), num_classes

    valid = label != ignore_index
    # level = number of thresholds strictly below peak: the pixel is
    # foreground (``best``) at thresholds 0..level-1, background after.
    level = torch.searchsorted(thr, peak[valid], right=False)
    joint = torch.bincount(
        (level * c + best[valid]) * c + label[valid],
        minlength=(num_thr + 1) * c * c).reshape(num_thr + 1, c, c)
    # fg[i]: pixels with level > i, by (best, label); bg[i]: level <= i.
    fg = joint.flip(0).cumsum(0).flip(0)[1:]
    bg = joint.sum(1).cumsum(0)[:num_thr]
    confusion = fg.clone()
    confusion[:, 0, :] += bg
    area_intersect = confusion.diagonal(dim1=1, dim2=2)
    area_pred = confusion.sum(2)
    area_label = confusion.sum(1)
    return torch.stack([area_intersect, area_pred, area_label], 1)


def area_iou(areas: ArrayLike) -> np.ndarray:
    """Per-class IoU from summed areas; NaN for classes absent from both.

    Args:
        areas (np.ndarray | Tensor): (..., 3, C): intersect, pred, label.

    Returns:
        np.ndarray: (..., C) float64 IoU in [0, 1].
    """
    areas = np.asarray(areas, np.float64)
    intersect, pred, label = areas[..., 0, :], areas[..., 1, :], \
        areas[..., 2, :]
    union = pred + label - intersect
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(union > 0, intersect / union, np.nan)


def mean_iou(areas: ArrayLike) -> np.ndarray:
    """Mean IoU (%) over the classes present in prediction or label.

    Args:
        areas (np.ndarray | Tensor): (..., 3, C): intersect, pred, label.

    Returns:
        np.ndarray: (...) float64; NaN where no class is present.
    """
    with warnings.catch_warnings():
        # All-NaN rows (nothing labelled) are NaN on purpose.
        warnings.simplefilter('ignore', RuntimeWarning)
        return np.nanmean(area_iou(areas), axis=-1) * 100
