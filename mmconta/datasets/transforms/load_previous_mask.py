"""Loading of the previous round's mask of an image (CONTA's x_m)."""
import os
import os.path as osp
from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from mmconta.registry import TRANSFORMS
from .load_context_map import add_index_map


@TRANSFORMS.register_module()
class LoadPreviousMask(BaseTransform):
    """Load ``<mask_dir>/<img_id>.png`` into ``results['prev_mask']``.

    The segmentation model of round t-1 predicted this mask on the training
    image; the context adjustment of round t reads it as x_m. It is a
    segmentation field, so crops and flips follow the image;
    :class:`PackWSSSInputs` packs it as ``data_sample.prev_mask``.

    With ``shuffle_seed`` each image gets another image's mask instead (a
    fixed derangement of the masks in ``mask_dir``, the same in every
    process and epoch), resized to the image by nearest neighbour: CONTA's
    control that keeps C and the distribution of x_m but breaks the link
    between an image and its own mask.

    Args:
        mask_dir (str): The previous round's ``seg_train`` folder.
        shuffle_seed (int, optional): Seed of the derangement; None loads
            each image's own mask. Defaults to None.
    """

    def __init__(self, mask_dir: str,
                 shuffle_seed: Optional[int] = None) -> None:
        self.mask_dir = mask_dir
        self.shuffle_seed = shuffle_seed
        self._partner: Optional[Dict[str, str]] = None

    def partner(self, img_id: str) -> str:
        """The image whose mask ``img_id`` receives."""
        if self.shuffle_seed is None:
            return img_id
        if self._partner is None:
            ids = sorted(name[:-4] for name in os.listdir(self.mask_dir)
                         if name.endswith('.png'))
            if len(ids) < 2:
                raise ValueError(f'{self.mask_dir}: shuffling x_m needs at '
                                 f'least two masks, found {len(ids)}')
            # A random cycle through all ids: no image keeps its own mask.
            order = np.random.default_rng(self.shuffle_seed).permutation(
                len(ids))
            self._partner = {
                ids[order[i]]: ids[order[(i + 1) % len(ids)]]
                for i in range(len(ids))
            }
        if img_id not in self._partner:
            raise FileNotFoundError(
                f'{osp.join(self.mask_dir, img_id + ".png")} does not exist')
        return self._partner[img_id]

    def transform(self, results: dict) -> dict:
        path = osp.join(self.mask_dir, self.partner(results['img_id']) + '.png')
        results['prev_mask_path'] = path
        results = add_index_map(results, 'prev_mask', path,
                                "previous round's mask")
        if self.shuffle_seed is not None:
            height, width = results['img'].shape[:2]
            if results['prev_mask'].shape != (height, width):
                results['prev_mask'] = np.asarray(
                    Image.fromarray(results['prev_mask']).resize(
                        (width, height), Image.Resampling.NEAREST))
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(mask_dir={self.mask_dir!r}, '
                f'shuffle_seed={self.shuffle_seed!r})')
