"""CDA's object instance bank: objects cut out with a round's masks.

Context Decoupling Augmentation (Su et al., ICCV 2021; code
suyukun666/CDA, ``step/make_aug_fg.py``) pastes objects into other training
images. Its bank keeps the *simple* images of a stage's masks: exactly one
foreground class, covering between 10 % and 70 % of the image; each is cut
to the bounding box of that class's pixels. Here each kept image becomes
``<bank_dir>/<class name>/<img_id>.npz`` (``img``: the crop, uint8 BGR as
mmcv loads images; ``mask``: bool, the class's pixels in it), and
``<bank_dir>/index.json`` lists the files per class. Images are split over
processes by index and the index is written after all of them, sorted, so
the bank does not depend on the number of processes.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import mmcv
import numpy as np
from PIL import Image

from mmconta.utils import write_atomic

INDEX_FILE = 'index.json'


def cut_instance(img: np.ndarray, mask: np.ndarray, min_fg_ratio: float,
                 max_fg_ratio: float,
                 ignore_index: int = 255) -> Optional[tuple]:
    """``(class id, image crop, mask crop)`` of a simple image, or None.

    Args:
        img (np.ndarray): (H, W, 3) image.
        mask (np.ndarray): (H, W) mask ids (0 background, ``ignore_index``
            unsure).
        min_fg_ratio (float): Least share of the image the class covers.
        max_fg_ratio (float): Largest share.
    """
    ids = np.unique(mask)
    fg_ids = ids[(ids != 0) & (ids != ignore_index)]
    if len(fg_ids) != 1:
        return None
    fg = mask == fg_ids[0]
    ratio = fg.mean()
    if not min_fg_ratio <= ratio <= max_fg_ratio:
        return None
    rows, cols = np.flatnonzero(fg.any(1)), np.flatnonzero(fg.any(0))
    box = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    return int(fg_ids[0]), img[box], fg[box]


def write_instances(images: Sequence[tuple], mask_dir: str, bank_dir: str,
                    classes: Sequence[str], min_fg_ratio: float = 0.1,
                    max_fg_ratio: float = 0.7, rank: int = 0,
                    world_size: int = 1) -> int:
    """Write this process's share of the bank's instance files.

    Args:
        images (Sequence[tuple]): ``(img_id, img_path)`` of the training
            split, in dataset order.
        mask_dir (str): ``<img_id>.png`` masks (round t-1's pseudo-masks
            or segmentor masks).
        bank_dir (str): The bank folder.
        classes (Sequence[str]): Class names, background first.
        min_fg_ratio, max_fg_ratio (float): CDA's criteria.
        rank, world_size (int): This process and the number of processes;
            image i goes to process ``i % world_size``.

    Returns:
        int: The instances this process wrote (files already there are kept
        and counted: a killed stage resumes).
    """
    written = 0
    for index, (img_id, img_path) in enumerate(images):
        if index % world_size != rank:
            continue
        if any(osp.isfile(osp.join(bank_dir, name, img_id + '.npz'))
               for name in classes[1:]):
            written += 1
            continue
        mask_path = osp.join(mask_dir, img_id + '.png')
        if not osp.isfile(mask_path):
            raise FileNotFoundError(f'instance bank: no mask {mask_path} '
                                    f'for training image {img_id}')
        with Image.open(mask_path) as f:
            mask = np.asarray(f)
        img = mmcv.imread(img_path)
        if img.shape[:2] != mask.shape:
            raise ValueError(f'instance bank: mask {mask_path} is '
                             f'{mask.shape}, its image {img.shape[:2]}')
        cut = cut_instance(img, mask, min_fg_ratio, max_fg_ratio)
        if cut is None:
            continue
        class_id, crop, crop_mask = cut
        folder = osp.join(bank_dir, classes[class_id])
        os.makedirs(folder, exist_ok=True)
        write_atomic(
            osp.join(folder, img_id + '.npz'),
            lambda f, crop=crop, crop_mask=crop_mask: np.savez(
                f, img=crop, mask=crop_mask))
        written += 1
    return written


def write_index(bank_dir: str, classes: Sequence[str]) -> Dict[str, int]:
    """List the bank's files per class into ``index.json``; the counts."""
    index: Dict[str, List[str]] = {}
    for name in classes[1:]:
        folder = osp.join(bank_dir, name)
        files = sorted(f for f in os.listdir(folder)
                       if f.endswith('.npz')) if osp.isdir(folder) else []
        index[name] = [osp.join(name, f) for f in files]
    write_atomic(osp.join(bank_dir, INDEX_FILE),
                 lambda f: f.write(json.dumps(index, indent=1).encode()))
    return {name: len(files) for name, files in index.items()}


def read_index(bank_dir: str) -> Dict[str, List[str]]:
    """The bank's ``index.json``: class name -> files relative to it."""
    path = osp.join(bank_dir, INDEX_FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(f'no instance bank index {path}')
    with open(path) as f:
        return json.load(f)
