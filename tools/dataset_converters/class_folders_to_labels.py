"""Convert a folder-per-class tree (one label per image) to the layout of
``LabelFileWSSSDataset``.

Input: ``SRC/<class>/<image>``, every image of a class in its folder.
Output: ``OUT/images/<class>_<name>.<ext>`` (prefixed, as two classes may
hold files of one name), ``OUT/<split>.csv`` and ``OUT/class_names.txt``
(background, then the class folders sorted by name).

Example::

    python tools/dataset_converters/class_folders_to_labels.py \\
        data/pets_by_class data/pets --split train
"""
import argparse
import os
import os.path as osp
import sys

from mmconta.datasets.base_wsss_dataset import IMAGE_SUFFIXES
from mmconta.datasets.image_label_file import write_label_split


def collect(src: str):
    """(class names, [(img_id, path, [class])]) of a folder-per-class tree."""
    if not osp.isdir(src):
        raise FileNotFoundError(f'not a folder: {src}')
    classes = sorted(d for d in os.listdir(src)
                     if osp.isdir(osp.join(src, d)))
    if not classes:
        raise ValueError(f'{src} holds no class folder')
    images = []
    for name in classes:
        files = sorted(f for f in os.listdir(osp.join(src, name))
                       if osp.splitext(f)[1].lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f'{osp.join(src, name)} holds no image '
                             f'({", ".join(IMAGE_SUFFIXES)})')
        images += [(f'{name}_{osp.splitext(f)[0]}',
                    osp.join(src, name, f), [name]) for f in files]
    return ['background'] + classes, images


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='folder of one folder per class')
    parser.add_argument('out', help='output dataset folder')
    parser.add_argument('--split', default='train',
                        help='label file name (OUT/<split>.csv)')
    parser.add_argument('--link', action='store_true',
                        help='symlink the images instead of copying them')
    args = parser.parse_args(argv)
    classes, images = collect(args.src)
    path = write_label_split(args.out, args.split, images, classes,
                             link=args.link)
    print(f'{len(images)} images of {len(classes) - 1} classes: {path}')


if __name__ == '__main__':
    sys.exit(main())
