"""Convert COCO-style instance annotations to the layout of
``LabelFileWSSSDataset``: image labels, and masks where asked.

An image's labels are the categories of its annotations; images without
any are written with no label (``LabelFileWSSSDataset(unlabelled=...)``
skips them or keeps them as background). With ``--masks`` each image's
instances are drawn into a semantic mask (polygons, and RLE counts in
either COCO form, read without pycocotools): category k of the class list
is id k, crowd regions 255 (ignored), later instances over earlier ones.

Output: ``OUT/images/``, ``OUT/<split>.csv``, ``OUT/class_names.txt``
(background, then the categories in id order) and with ``--masks``
``OUT/masks/``.

Example::

    python tools/dataset_converters/coco_json_to_labels.py \\
        annotations/instances_val2014.json --images val2014 \\
        --out data/coco_labels --split val --masks
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Sequence

import numpy as np
from PIL import Image, ImageDraw

from mmconta.datasets.image_label_file import write_label_split
from mmconta.utils import save_index_mask, voc_palette


def rle_counts(counts) -> List[int]:
    """Run lengths of a COCO RLE: a list, or the compressed string of
    pycocotools' ``rleToString`` (5 bits a character, deltas from the run
    two back)."""
    if isinstance(counts, list):
        return [int(c) for c in counts]
    runs, pos = [], 0
    while pos < len(counts):
        value, shift, more = 0, 0, True
        while more:
            char = ord(counts[pos]) - 48
            value |= (char & 0x1f) << shift
            more = bool(char & 0x20)
            pos += 1
            shift += 5
            if not more and char & 0x10:
                value |= -1 << shift
        if len(runs) > 2:
            value += runs[-2]
        runs.append(value)
    return runs


def decode_segmentation(segmentation, height: int, width: int) -> np.ndarray:
    """(H, W) bool mask of a COCO ``segmentation``."""
    if isinstance(segmentation, list):  # polygons
        canvas = Image.new('L', (width, height), 0)
        draw = ImageDraw.Draw(canvas)
        for polygon in segmentation:
            if len(polygon) >= 6:
                draw.polygon(list(map(float, polygon)), fill=1)
        return np.asarray(canvas, dtype=bool)
    runs = rle_counts(segmentation['counts'])
    h, w = segmentation.get('size', (height, width))
    flat = np.zeros(h * w, dtype=bool)
    pos, value = 0, False
    for run in runs:
        flat[pos:pos + run] = value
        pos += run
        value = not value
    return flat.reshape(w, h).T  # column-major, as COCO stores it


def semantic_mask(annotations: Sequence[dict], class_of: dict, height: int,
                  width: int) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    for ann in annotations:
        region = decode_segmentation(ann['segmentation'], height, width)
        mask[region] = 255 if ann.get('iscrowd') else class_of[
            ann['category_id']]
    return mask


def convert(ann_file: str, images: str, out: str, split: str,
            masks: bool = False, link: bool = False) -> str:
    with open(ann_file) as f:
        coco = json.load(f)
    for key in ('images', 'annotations', 'categories'):
        if key not in coco:
            raise ValueError(f'{ann_file}: no "{key}"; not a COCO instance '
                             'annotation file')
    categories = sorted(coco['categories'], key=lambda c: c['id'])
    classes = ['background'] + [c['name'] for c in categories]
    class_of = {c['id']: k + 1 for k, c in enumerate(categories)}
    name_of = {c['id']: c['name'] for c in categories}
    by_image = {}
    for ann in coco['annotations']:
        if ann['category_id'] not in name_of:
            raise ValueError(f'{ann_file}: annotation {ann.get("id")} has '
                             f'unknown category {ann["category_id"]}')
        by_image.setdefault(ann['image_id'], []).append(ann)
    rows = []
    if masks:
        os.makedirs(osp.join(out, 'masks'), exist_ok=True)
    for image in coco['images']:
        anns = by_image.get(image['id'], [])
        source = osp.join(images, image['file_name'])
        if not osp.isfile(source):
            raise FileNotFoundError(f'{ann_file}: image {image["id"]} '
                                    f'({source}) not found')
        img_id = osp.splitext(osp.basename(image['file_name']))[0]
        labels = sorted({a['category_id'] for a in anns
                         if not a.get('iscrowd')})
        rows.append((img_id, source, [name_of[c] for c in labels]))
        if masks:
            save_index_mask(
                osp.join(out, 'masks', img_id + '.png'),
                semantic_mask(anns, class_of, image['height'],
                              image['width']), voc_palette(len(classes)))
    return write_label_split(out, split, rows, classes, link=link)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('ann_file', help='COCO instances JSON')
    parser.add_argument('--images', required=True,
                        help='folder of the images it names')
    parser.add_argument('--out', required=True, help='output dataset folder')
    parser.add_argument('--split', default='train',
                        help='label file name (OUT/<split>.csv)')
    parser.add_argument('--masks', action='store_true',
                        help='draw the instances into masks too')
    parser.add_argument('--link', action='store_true',
                        help='symlink the images instead of copying them')
    args = parser.parse_args(argv)
    path = convert(args.ann_file, args.images, args.out, args.split,
                   args.masks, args.link)
    print(f'labels written to {path}')


if __name__ == '__main__':
    sys.exit(main())
