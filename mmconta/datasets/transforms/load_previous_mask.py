"""Loading of the previous round's mask of an image (CONTA's x_m)."""
import os.path as osp

from mmcv.transforms import BaseTransform

from mmconta.registry import TRANSFORMS
from .load_context_map import add_index_map


@TRANSFORMS.register_module()
class LoadPreviousMask(BaseTransform):
    """Load ``<mask_dir>/<img_id>.png`` into ``results['prev_mask']``.

    The segmentation model of round t-1 predicted this mask on the training
    image; the context adjustment of round t reads it as x_m. It is a
    segmentation field, so crops and flips follow the image;
    :class:`PackWSSSInputs` packs it as ``data_sample.prev_mask``.

    Args:
        mask_dir (str): The previous round's ``seg_train`` folder.
    """

    def __init__(self, mask_dir: str) -> None:
        self.mask_dir = mask_dir

    def transform(self, results: dict) -> dict:
        path = osp.join(self.mask_dir, results['img_id'] + '.png')
        results['prev_mask_path'] = path
        return add_index_map(results, 'prev_mask', path,
                             "previous round's mask")

    def __repr__(self) -> str:
        return f'{type(self).__name__}(mask_dir={self.mask_dir!r})'
