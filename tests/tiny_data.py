"""Tiny dataset trees in the real layouts, written by the tests."""
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
from PIL import Image

from mmconta.utils import save_index_mask


def write_mask(path: Path, mask: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_index_mask(str(path), mask)


def write_image(path: Path, rng: np.random.Generator, size=(24, 32)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


def make_masks(num_images: int, num_classes: int, seed: int = 0,
               size=(24, 32)) -> List[np.ndarray]:
    """Masks with one or two rectangles of random classes and a 255 band."""
    rng = np.random.default_rng(seed)
    masks = []
    for _ in range(num_images):
        mask = np.zeros(size, np.uint8)
        for cls in rng.choice(np.arange(1, num_classes), size=2,
                              replace=False)[:rng.integers(1, 3)]:
            y, x = rng.integers(0, size[0] - 8), rng.integers(0, size[1] - 8)
            mask[y:y + 8, x:x + 8] = cls
            mask[y + 8:y + 9, x:x + 8] = 255  # VOC-style boundary band
        masks.append(mask)
    return masks


def expected_labels(mask: np.ndarray, num_classes: int) -> np.ndarray:
    labels = np.zeros(num_classes - 1, np.float32)
    ids = [i for i in np.unique(mask) if 0 < i < num_classes]
    labels[np.asarray(ids, int) - 1] = 1
    return labels


def make_tree(root: Path, names: Sequence[str], img_dir: str, mask_dir: str,
              split_file: str, img_suffix: str, num_classes: int,
              seed: int = 0) -> Dict[str, np.ndarray]:
    """Write images, masks and a split file; return name -> mask."""
    rng = np.random.default_rng(seed)
    masks = dict(zip(names, make_masks(len(names), num_classes, seed)))
    for name, mask in masks.items():
        write_image(root / img_dir / f'{name}{img_suffix}', rng, mask.shape)
        write_mask(root / mask_dir / f'{name}.png', mask)
    split = root / split_file
    split.parent.mkdir(parents=True, exist_ok=True)
    split.write_text(''.join(f'{n}\n' for n in names))
    return masks


def make_voc_tree(root: Path, num_images: int = 5) -> Dict[str, np.ndarray]:
    names = [f'2007_{i:06d}' for i in range(num_images)]
    masks = make_tree(root, names, 'JPEGImages', 'SegmentationClassAug',
                      'ImageSets/Segmentation/train_aug.txt', '.jpg', 21)
    # VOC's own masks beside the SBD ones, for the `train` split layout.
    for name, mask in masks.items():
        write_mask(root / 'SegmentationClass' / f'{name}.png', mask)
    return masks


def make_coco_tree(root: Path, num_images: int = 5) -> Dict[str, np.ndarray]:
    names = [f'COCO_train2014_{i:012d}' for i in range(num_images)]
    return make_tree(root, names, 'train2014', 'mask/train2014',
                     'ImageSets/train.txt', '.jpg', 81, seed=1)


def make_folder_tree(root: Path, classes=('background', 'cat', 'dog', 'cow'),
                     num_images: int = 5) -> Dict[str, np.ndarray]:
    names = [f'img_{i:03d}' for i in range(num_images)]
    masks = make_tree(root, names, 'JPEGImages', 'SegmentationClass',
                      'ImageSets/Segmentation/train.txt', '.png', len(classes),
                      seed=2)
    (root / 'class_names.txt').write_text('\n'.join(classes) + '\n')
    return masks


def make_label_file_tree(root: Path,
                         classes=('background', 'cat', 'dog', 'cow'),
                         num_train: int = 4,
                         num_val: int = 2) -> Dict[str, np.ndarray]:
    """LabelFileWSSSDataset's layout: images, train.csv (labels only),
    val.csv with the val images' masks, class_names.txt."""
    train = [f'train_{i:03d}' for i in range(num_train)]
    val = [f'val_{i:03d}' for i in range(num_val)]
    masks = make_masks(num_train + num_val, len(classes), seed=3)
    rng = np.random.default_rng(3)
    for name, mask in zip(train + val, masks):
        write_image(root / 'images' / f'{name}.png', rng)
        if name.startswith('val'):
            write_mask(root / 'masks' / f'{name}.png', mask)
    for split, names in (('train', train), ('val', val)):
        lines = ['image,labels']
        for name in names:
            mask = masks[(train + val).index(name)]
            lines.append(name + ',' + ';'.join(
                classes[k] for k in np.unique(mask) if 0 < k < 255))
        (root / f'{split}.csv').write_text('\n'.join(lines) + '\n')
    (root / 'class_names.txt').write_text('\n'.join(classes) + '\n')
    return dict(zip(train + val, masks))
