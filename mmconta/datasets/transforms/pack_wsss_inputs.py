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
    (:class:`LoadPreviousMask`) when present, the CAM of :class:`LoadCAM` as
    ``data_sample.cam`` (PixelData, (K_img, H, W) float) and
    ``data_sample.cam_keys``, and keeps ``img_id`` in the meta information.

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
        self._check_sizes(results)
        packed = super().transform(results)
        if 'img_labels' in results:
            labels = np.asarray(results['img_labels'], dtype=np.float32)
            packed['data_samples'].gt_img_labels = torch.from_numpy(labels)
        for key in self.map_keys:
            if key in results:
                data = torch.from_numpy(results[key].astype(np.int64))
                packed['data_samples'].set_data(
                    {key: PixelData(data=data[None])})
        if 'cam' in results:
            packed['data_samples'].cam = PixelData(
                data=torch.from_numpy(results['cam']))
            packed['data_samples'].cam_keys = torch.from_numpy(
                results['cam_keys'])
        return packed

    def _check_sizes(self, results: dict) -> None:
        """Refuse a mask whose size matches neither its image nor the image
        as decoded.

        Transforms resize, crop and flip an image and the masks loaded before
        them alike, so such masks match the image's current size; a mask
        loaded after a test-time resize (mmseg's pattern) matches the
        original size. A mask of the wrong size on disk matches neither and
        would be learnt or scored pixel-misaligned.
        """
        sizes = {tuple(results['img'].shape[:2]),
                 tuple(results.get('ori_shape', results['img'].shape)[:2])}
        for key, path_key in (('gt_seg_map', 'seg_map_path'),
                              ('gt_context', 'context_path'),
                              ('prev_mask', 'prev_mask_path')):
            if key in results and tuple(results[key].shape[:2]) not in sizes:
                raise ValueError(
                    f'{results.get(path_key, key)}: {key} is '
                    f'{results[key].shape[:2]} but its image '
                    f'{results.get("img_path")} is '
                    f'{" or ".join(map(str, sorted(sizes)))}: a mask must '
                    'match its image in size')
