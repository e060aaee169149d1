"""Loading of the previous round's mask of an image (CONTA's x_m)."""
import os.path as osp

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from mmconta.registry import TRANSFORMS
from .load_context_map import add_index_map


@TRANSFORMS.register_module()
class LoadPreviousMask(BaseTransform):
    """Load ``results['prev_mask_path']`` into ``results['prev_mask']``.

    The segmentation model of round t-1 predicted this mask on the training
    image; the context adjustment of round t reads it as x_m. It is a
    segmentation field, so crops and flips follow the image;
    :class:`PackWSSSInputs` packs it as ``data_sample.prev_mask``.

    The path comes from the dataset (``prev_mask_dir`` of
    :class:`BaseWSSSDataset`, which the round loop sets from round 1 on), so
    the transform stays in a classifier's pipelines in every round and does
    nothing where the dataset gives no path (round 0). Another image's mask
    (the dataset's ``prev_mask_shuffle_seed``) is resized to the image by
    nearest neighbour.

    Optional keys: ``prev_mask_path``. Added: ``prev_mask``; ``seg_fields``
    gains it.
    """

    def transform(self, results: dict) -> dict:
        path = results.get('prev_mask_path')
        if path is None:
            return results
        results = add_index_map(results, 'prev_mask', path,
                                "previous round's mask")
        height, width = results['img'].shape[:2]
        own = osp.basename(path) == results['img_id'] + '.png'
        if not own and results['prev_mask'].shape != (height, width):
            results['prev_mask'] = np.asarray(
                Image.fromarray(results['prev_mask']).resize(
                    (width, height), Image.Resampling.NEAREST))
        return results
