"""Convert a multi-label CSV to the layout of ``LabelFileWSSSDataset``.

The CSV has a header. Either one column per class holding 0/1 (``image,
cat,dog,person``), or one column of class names separated by spaces, ``;``
or ``|`` (``image,tags``). ``--masks`` copies the masks of the listed
images too (for a validation split), whose ids index ``--class-file``.

Output: ``OUT/images/``, ``OUT/<split>.csv``, ``OUT/class_names.txt``
(``--class-file``'s list, or background then the CSV's classes sorted) and
with ``--masks`` ``OUT/masks/``.

``--example DIR`` writes a small source to try it on (synthetic confounded
shapes: ``DIR/images/``, ``DIR/train_labels.csv`` and
``DIR/val_labels.csv`` with one 0/1 column per class, ``DIR/val_masks/``,
``DIR/classes.txt``), as ``docs/user_guides/custom_data.md`` uses it.

Example::

    python tools/dataset_converters/multilabel_csv_to_labels.py \\
        src/train_labels.csv --images src/images --out data/my_data \\
        --class-file src/classes.txt --split train
    python tools/dataset_converters/multilabel_csv_to_labels.py \\
        src/val_labels.csv --images src/images --out data/my_data \\
        --class-file src/classes.txt --split val --masks src/val_masks
"""
import argparse
import csv
import os
import os.path as osp
import re
import shutil
import sys
import tempfile

import numpy as np
from PIL import Image

from mmconta.datasets.base_wsss_dataset import IMAGE_SUFFIXES
from mmconta.datasets.folder_wsss_dataset import read_class_file
from mmconta.datasets.image_label_file import write_label_split

_NAME_SEPARATORS = re.compile(r'[\s;|]+')


def read_multilabel_csv(path: str):
    """[(image, [class names], line)] and the classes the header names (one
    0/1 column per class) or None (a column of names)."""
    with open(path, newline='', encoding='utf-8-sig') as f:
        rows = list(csv.reader(f))
    if not rows or len(rows[0]) < 2:
        raise ValueError(f'{path}:1: expected a header of an image column '
                         'and label columns')
    header = [cell.strip() for cell in rows[0]]
    one_hot = len(header) > 2
    entries = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ValueError(f'{path}:{line}: {len(row)} fields, the header '
                             f'has {len(header)}')
        if one_hot:
            values = [cell.strip() for cell in row[1:]]
            bad = [v for v in values if v not in ('0', '1')]
            if bad:
                raise ValueError(f'{path}:{line}: class columns hold 0 or 1, '
                                 f'got {bad}')
            names = [c for c, v in zip(header[1:], values) if v == '1']
        else:
            names = [n for n in _NAME_SEPARATORS.split(row[1]) if n]
        entries.append((row[0].strip(), names, line))
    return entries, (header[1:] if one_hot else None)


def find_image(images: str, image: str) -> str:
    if osp.splitext(image)[1]:
        candidates = [osp.join(images, image)]
    else:
        candidates = [osp.join(images, image + s) for s in IMAGE_SUFFIXES]
    for path in candidates:
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'image {image!r} not found in {images}')


def convert(csv_file: str, images: str, out: str, split: str,
            class_file: str = None, masks: str = None,
            link: bool = False) -> str:
    entries, header_classes = read_multilabel_csv(csv_file)
    if class_file:
        classes = list(read_class_file(class_file))
    elif masks:
        raise ValueError('--masks needs --class-file, the list their ids '
                         'index')
    else:
        classes = ['background'] + sorted(
            set(header_classes or []) | {n for _, names, _ in entries
                                         for n in names})
    known = set(classes[1:])
    for image, names, line in entries:
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f'{csv_file}:{line}: classes {unknown} of image '
                             f'{image!r} are not in {classes[1:]}')
    rows = [(osp.splitext(osp.basename(image))[0], find_image(images, image),
             names) for image, names, _ in entries]
    path = write_label_split(out, split, rows, classes, link=link)
    if masks:
        os.makedirs(osp.join(out, 'masks'), exist_ok=True)
        for img_id, _, _ in rows:
            source = osp.join(masks, img_id + '.png')
            if not osp.isfile(source):
                raise FileNotFoundError(f'no mask {source} for {img_id}')
            shutil.copyfile(source, osp.join(out, 'masks', img_id + '.png'))
    return path


def write_example(out: str, num_train: int = 60, num_val: int = 20) -> None:
    """A small source: synthetic shapes with one 0/1 column per class."""
    from mmconta.datasets.synthetic import generate
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, num_train=num_train, num_val=num_val, seed=0)
        classes = list(read_class_file(osp.join(tmp, 'class_names.txt')))
        os.makedirs(osp.join(out, 'images'), exist_ok=True)
        os.makedirs(osp.join(out, 'val_masks'), exist_ok=True)
        for split in ('train', 'val'):
            split_file = osp.join(tmp, 'ImageSets', 'Segmentation',
                                  split + '.txt')
            with open(split_file) as f:
                ids = f.read().split()
            with open(osp.join(out, f'{split}_labels.csv'), 'w',
                      newline='') as f:
                writer = csv.writer(f)
                writer.writerow(['image'] + classes[1:])
                for img_id in ids:
                    mask_file = osp.join(tmp, 'SegmentationClass',
                                         img_id + '.png')
                    present = set(np.unique(np.asarray(Image.open(
                        mask_file))).tolist())
                    writer.writerow([img_id + '.png'] + [
                        int(k in present)
                        for k in range(1, len(classes))])
                    shutil.copyfile(
                        osp.join(tmp, 'JPEGImages', img_id + '.png'),
                        osp.join(out, 'images', img_id + '.png'))
                    if split == 'val':
                        shutil.copyfile(
                            mask_file,
                            osp.join(out, 'val_masks', img_id + '.png'))
        with open(osp.join(out, 'classes.txt'), 'w') as f:
            f.write('\n'.join(classes) + '\n')


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('csv', nargs='?', help='the multi-label CSV')
    parser.add_argument('--images', help='folder of the images it names')
    parser.add_argument('--out', help='output dataset folder')
    parser.add_argument('--split', default='train',
                        help='label file name (OUT/<split>.csv)')
    parser.add_argument('--class-file',
                        help='class list, background first (needed with '
                        '--masks)')
    parser.add_argument('--masks', help='folder of <image id>.png masks')
    parser.add_argument('--link', action='store_true',
                        help='symlink the images instead of copying them')
    parser.add_argument('--example', metavar='DIR',
                        help='write a small example source into DIR and stop')
    args = parser.parse_args(argv)
    if args.example:
        write_example(args.example)
        print(f'example source written to {args.example}')
        return
    if not (args.csv and args.images and args.out):
        parser.error('give CSV, --images and --out (or --example DIR)')
    path = convert(args.csv, args.images, args.out, args.split,
                   args.class_file, args.masks, args.link)
    print(f'labels written to {path}')


if __name__ == '__main__':
    sys.exit(main())
