"""Pixel statistics shared by the mask metrics."""
from typing import Tuple

import numpy as np


def area_stats(pred: np.ndarray, label: np.ndarray, num_classes: int,
               ignore_index: int = 255) -> Tuple[np.ndarray, ...]:
    """Per-class intersect, predicted and labelled areas of one image.

    Pixels whose label or prediction is ``ignore_index`` are left out: a
    pseudo-mask's ignore pixels claim nothing (their share is reported
    apart as the ignore ratio).

    Returns:
        tuple[np.ndarray]: ``intersect``, ``pred_area``, ``label_area``,
        each (num_classes,) int64.
    """
    pred = np.asarray(pred).reshape(-1).astype(np.int64)
    label = np.asarray(label).reshape(-1).astype(np.int64)
    if pred.shape != label.shape:
        raise ValueError(f'prediction of {pred.size} pixels vs label of '
                         f'{label.size}')
    valid = (label != ignore_index) & (pred != ignore_index)
    pred, label = pred[valid], label[valid]
    intersect = np.bincount(pred[pred == label], minlength=num_classes)
    pred_area = np.bincount(pred, minlength=num_classes)
    label_area = np.bincount(label, minlength=num_classes)
    return intersect[:num_classes], pred_area[:num_classes], \
        label_area[:num_classes]


def iou(intersect: np.ndarray, pred_area: np.ndarray,
        label_area: np.ndarray) -> np.ndarray:
    """Per-class IoU; NaN for classes absent from both."""
    union = pred_area + label_area - intersect
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(union > 0, intersect / np.maximum(union, 1), np.nan)
