"""Colour palettes for class-index masks, and writing such masks."""
from typing import List, Sequence

import numpy as np
from PIL import Image

from .atomic_write import write_atomic


def voc_palette(num_classes: int) -> List[List[int]]:
    """PASCAL VOC's bit-interleaved colour map, extended to any length.

    Index 0 is black; the first 21 entries equal VOC's, so masks of any
    dataset look familiar to VOC users.
    """
    palette = []
    for index in range(num_classes):
        rgb, cid = [0, 0, 0], index
        for shift in range(7, -1, -1):
            for channel in range(3):
                rgb[channel] |= ((cid >> channel) & 1) << shift
            cid >>= 3
        palette.append(rgb)
    return palette


def save_index_mask(path: str,
                    mask: np.ndarray,
                    class_palette: Sequence[Sequence[int]] = ()) -> None:
    """Write a class-id mask as a palette PNG, atomically.

    The palette is VOC's, its first entries replaced by ``class_palette``
    (a dataset's colours), so the file shows in any image viewer and reads
    back as the ids.

    Args:
        path (str): Output ``.png``.
        mask (np.ndarray): (H, W) integer ids in [0, 255] (255 = ignore).
        class_palette (Sequence): RGB colours of the first ids.
            Defaults to ().
    """
    if mask.size and (mask.min() < 0 or mask.max() > 255):
        raise ValueError(f'{path}: ids [{mask.min()}, {mask.max()}] do not '
                         'fit a uint8 mask')
    palette = voc_palette(256)
    palette[:len(class_palette)] = [list(c) for c in class_palette]
    png = Image.fromarray(mask.astype(np.uint8), mode='P')
    png.putpalette(np.asarray(palette, np.uint8).reshape(-1).tolist())
    write_atomic(path, lambda f: png.save(f, format='PNG'))
