"""Convert IRN's pickled ``cls_labels.npy`` to a JSON label file.

The JSON maps each image to the names of its classes, ``{"2007_000032":
["aeroplane", "person"], ...}``, a format any tool reads without running
code. The ``.npy`` is read by :func:`mmconta.utils.load_label_table`, which
refuses pickles that call anything. IRN keys VOC images by integers
(``2007_000032`` -> ``2007000032``); ten-digit integer keys are written back
as ``YYYY_NNNNNN``.

Example::

    python tools/dataset_converters/cls_labels_to_json.py \\
        data/VOCdevkit/VOC2012/cls_labels.npy cls_labels.json --dataset voc
"""
import argparse
import json
import sys
from typing import List

import numpy as np

from mmconta.datasets import COCOWSSSDataset, VOCWSSSDataset
from mmconta.datasets.folder_wsss_dataset import read_class_file
from mmconta.utils import load_label_table


def foreground_classes(args) -> List[str]:
    if args.class_file:
        names = list(read_class_file(args.class_file))
        # A class_names.txt of FolderWSSSDataset lists background first.
        return names[1:] if names[0] == 'background' else names
    dataset = dict(voc=VOCWSSSDataset, coco=COCOWSSSDataset)[args.dataset]
    return list(dataset.METAINFO['classes'][1:])


def image_name(key) -> str:
    text = str(key)
    if isinstance(key, int) and len(text) == 10:
        return f'{text[:4]}_{text[4:]}'
    return text


def convert(table: dict, classes: List[str]) -> dict:
    out = {}
    for key, vector in sorted(table.items(), key=lambda kv: str(kv[0])):
        vector = np.asarray(vector).reshape(-1)
        if vector.size != len(classes):
            raise ValueError(f'the label of {key!r} has {vector.size} '
                             f'classes, the class list {len(classes)}')
        out[image_name(key)] = [classes[i] for i in np.flatnonzero(vector)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('npy', help="IRN's cls_labels.npy")
    parser.add_argument('out', help='the JSON file to write')
    source = parser.add_mutually_exclusive_group()
    source.add_argument('--dataset', choices=('voc', 'coco'), default='voc',
                        help='class names of this dataset (default: voc)')
    source.add_argument('--class-file',
                        help='class names, one per line, in label order')
    args = parser.parse_args()
    labels = convert(load_label_table(args.npy), foreground_classes(args))
    with open(args.out, 'w') as f:
        json.dump(labels, f, indent=1)
    print(f'{args.out}: {len(labels)} images', file=sys.stderr)


if __name__ == '__main__':
    main()
