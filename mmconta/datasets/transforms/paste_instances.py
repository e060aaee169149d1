"""CDA's intervention on the data: objects pasted out of their context."""
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform, Compose
from PIL import Image

from mmconta.registry import TRANSFORMS
from ..instance_bank import read_index


@TRANSFORMS.register_module()
class PasteInstances(BaseTransform):
    """Yield an image and a copy with objects of other classes pasted in.

    Context Decoupling Augmentation (Su et al., ICCV 2021; code
    suyukun666/CDA) trains the classifier on each image and a copy into
    which an object of a class the image does not show was pasted, cut
    from a simple image of an earlier stage's masks
    (:mod:`mmconta.datasets.instance_bank`): the object then appears out of
    the context it usually comes with. As its code does, each pasted
    object is rotated by an angle drawn from ``[-max_rotation,
    max_rotation]`` degrees, shrunk (keeping its aspect) to at most
    ``max_size`` of the image's height and width, and placed at a random
    position wholly inside the image; the copy's labels gain its class.
    The original and the copy then each go through ``pipeline`` (the
    random resize, crop and flip, drawn independently, and the packing).

    The bank comes from the dataset (``instance_dir`` of
    :class:`BaseWSSSDataset`, which the round loop sets in rounds t >= 1
    when ``intervention`` is ``'cda'`` or ``'both'``), so the transform
    stays in a classifier's pipeline in every round; without a bank it
    runs ``pipeline`` once and returns its output unchanged. With one it
    returns ``{'inputs': [original, pasted], 'data_samples': [...]}``,
    which :func:`flatten_pairs_collate` turns into two samples of the batch.

    A mask loaded before (``gt_seg_map``, ``prev_mask``) stays aligned: the
    pasted pixels get the object's class in ``gt_seg_map``, so
    :class:`RecomputeImageLabels` keeps its label; CONTA's x_m is the
    original image's (round t-1 never saw the pasted object).

    Args:
        pipeline (Sequence[dict]): The transforms after pasting.
        num_instances (int): Objects pasted into the copy, each of another
            absent class while there are some. Defaults to 1 (CDA).
        max_size (float): Largest share of the image's height and width an
            object may take. Defaults to 0.7 (CDA).
        max_rotation (float): Largest rotation in degrees. Defaults to 90
            (CDA).
        prob (float): Probability that an image gets its pasted copy; an
            image without one is a single sample. Defaults to 1 (CDA).
    """

    def __init__(self,
                 pipeline: Sequence[dict],
                 num_instances: int = 1,
                 max_size: float = 0.7,
                 max_rotation: float = 90.,
                 prob: float = 1.) -> None:
        if num_instances < 1:
            raise ValueError(f'num_instances must be >= 1, got '
                             f'{num_instances}')
        if not 0 < max_size <= 1:
            raise ValueError(f'max_size must be in (0, 1], got {max_size}')
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.pipeline = Compose(list(pipeline))
        self.num_instances = num_instances
        self.max_size = max_size
        self.max_rotation = max_rotation
        self.prob = prob
        self._indexes: Dict[str, Dict[str, List[str]]] = {}

    def _index(self, bank_dir: str) -> Dict[str, List[str]]:
        if bank_dir not in self._indexes:
            self._indexes[bank_dir] = read_index(bank_dir)
        return self._indexes[bank_dir]

    def transform(self, results: dict) -> Optional[dict]:
        bank_dir = results.get('instance_dir')
        if not bank_dir or np.random.rand() >= self.prob:
            return self.pipeline(results)
        pasted = self.paste(copy.deepcopy(results), bank_dir)
        original = self.pipeline(results)
        pasted = self.pipeline(pasted)
        if original is None or pasted is None:
            return original or pasted
        return dict(inputs=[original['inputs'], pasted['inputs']],
                    data_samples=[original['data_samples'],
                                  pasted['data_samples']])

    def paste(self, results: dict, bank_dir: str) -> dict:
        """Paste ``num_instances`` bank objects of absent classes."""
        index = self._index(bank_dir)
        names = list(index)
        labels = np.asarray(results['img_labels'], np.float32).copy()
        for _ in range(self.num_instances):
            absent = [k for k, name in enumerate(names)
                      if not labels[k] and index[name]]
            if not absent:
                break
            k = absent[np.random.randint(len(absent))]
            files = index[names[k]]
            with np.load(osp.join(bank_dir,
                                  files[np.random.randint(len(files))])) as f:
                crop, mask = f['img'], f['mask']
            self._paste_one(results, crop, mask, k)
            labels[k] = 1
        results['img_labels'] = labels
        return results

    def _paste_one(self, results: dict, crop: np.ndarray, mask: np.ndarray,
                   k: int) -> None:
        angle = np.random.uniform(-self.max_rotation, self.max_rotation)
        crop = np.asarray(Image.fromarray(crop).rotate(
            angle, Image.Resampling.BILINEAR, expand=True))
        mask = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).rotate(
            angle, Image.Resampling.NEAREST, expand=True)) > 127
        img = results['img']
        height, width = img.shape[:2]
        scale = min(1., self.max_size * height / crop.shape[0],
                    self.max_size * width / crop.shape[1])
        size = (max(1, int(crop.shape[1] * scale)),
                max(1, int(crop.shape[0] * scale)))
        crop = np.asarray(Image.fromarray(crop).resize(
            size, Image.Resampling.BILINEAR))
        mask = np.asarray(Image.fromarray(mask).resize(
            size, Image.Resampling.NEAREST))
        top = np.random.randint(height - size[1] + 1)
        left = np.random.randint(width - size[0] + 1)
        box = np.s_[top:top + size[1], left:left + size[0]]
        img = img.copy()
        img[box][mask] = crop[mask]
        results['img'] = img
        if 'gt_seg_map' in results:
            seg = results['gt_seg_map'].copy()
            seg[box][mask] = k + 1
            results['gt_seg_map'] = seg

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_instances={self.num_instances}, '
                f'max_size={self.max_size}, max_rotation='
                f'{self.max_rotation}, prob={self.prob}, '
                f'pipeline={self.pipeline})')
