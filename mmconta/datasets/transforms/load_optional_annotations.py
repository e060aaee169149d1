"""mmseg's mask loading for datasets whose training split has no masks."""
from mmseg.datasets.transforms import LoadAnnotations

from mmconta.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadOptionalAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` where the sample has a mask.

    Weak supervision trains on images with image-level labels only
    (:class:`LabelFileWSSSDataset` without a mask folder gives
    ``seg_map_path=None``): such a sample passes unchanged, without
    ``gt_seg_map``, and everything downstream that needs ground truth says
    so instead of failing (:class:`RecomputeImageLabels` keeps the labels,
    the seed and mask metrics report no ground truth). A sample with a mask
    is loaded exactly as ``LoadAnnotations`` loads it.

    Required keys: ``seg_map_path`` (may be None). Added: ``gt_seg_map``
    and ``seg_fields`` where there is a mask.
    """

    def transform(self, results: dict) -> dict:
        if results.get('seg_map_path') is None:
            return results
        return super().transform(results)
