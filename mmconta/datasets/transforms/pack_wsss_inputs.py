"""Packing that keeps the image-level labels."""
import numpy as np
import torch
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs

from mmconta.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackWSSSInputs(PackSegInputs):
    """:class:`mmseg.datasets.transforms.PackSegInputs` plus image labels.

    mmseg's packing drops keys it does not know; this one also sets
    ``data_sample.gt_img_labels`` (float multi-hot over the foreground
    classes) from ``results['img_labels']``, the index maps
    ``gt_context`` (:class:`LoadContextMap`) and ``prev_mask``
    (:class:`LoadPreviousMask`) when present, and keeps ``img_id`` in the
    meta information.

    Args:
        meta_keys (tuple[str]): Meta keys to pack. Defaults to mmseg's plus
            ``img_id``.
    """

    def __init__(self,
                 meta_keys: tuple = ('img_id', 'img_path', 'seg_map_path',
                                     'ori_shape', 'img_shape', 'pad_shape',
                                     'scale_factor', 'flip', 'flip_direction',
                                     'reduce_zero_label')) -> None:
        super().__init__(meta_keys=meta_keys)
        self.map_keys = ('gt_context', 'prev_mask')

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        if 'img_labels' in results:
            labels = np.asarray(results['img_labels'], dtype=np.float32)
            packed['data_samples'].gt_img_labels = torch.from_numpy(labels)
        for key in self.map_keys:
            if key in results:
                data = torch.from_numpy(results[key].astype(np.int64))
                packed['data_samples'].set_data(
                    {key: PixelData(data=data[None])})
        return packed
