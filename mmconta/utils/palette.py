"""Colour palettes for class-index masks."""
from typing import List


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
