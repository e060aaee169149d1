"""Image-level labels that follow a crop."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmconta.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RecomputeImageLabels(BaseTransform):
    """Drop the labels of classes that a crop removed from the mask.

    After a random crop an image-level label can name a class no longer in
    view, which teaches the classifier to fire on whatever remains. A class
    stays labelled if it still covers at least ``min_pixels`` pixels of
    ``gt_seg_map``. Classes are only removed, never added: the weak labels
    stay the authority, the mask (ground truth or pseudo) only tells what the
    crop kept.

    A sample without ``gt_seg_map`` (a training split with image-level
    labels only) keeps its labels: nothing tells what the crop removed.

    Required keys: ``img_labels``; ``gt_seg_map`` where there is a mask.
    Modified: ``img_labels``.

    Args:
        min_pixels (int): Pixels a class needs to keep its label.
            Defaults to 1.
    """

    def __init__(self, min_pixels: int = 1) -> None:
        if min_pixels < 1:
            raise ValueError(f'min_pixels must be >= 1, got {min_pixels}')
        self.min_pixels = min_pixels

    def transform(self, results: dict) -> dict:
        if 'gt_seg_map' not in results:
            return results
        labels = np.asarray(results['img_labels'], dtype=np.float32)
        counts = np.bincount(
            results['gt_seg_map'].reshape(-1).astype(np.int64),
            minlength=256)[1:labels.size + 1]
        results['img_labels'] = labels * (counts >= self.min_pixels)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(min_pixels={self.min_pixels})'
