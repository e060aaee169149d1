"""Image-level label files: CSV (``image,labels``) and JSON.

The two formats a user with image-level labels only is likely to have:

- CSV with the header ``image,labels``; one image a row, its class names
  separated by ``;`` or ``|`` (an empty field: no label)::

      image,labels
      2007_000032,aeroplane;person
      img_0001.jpg,dog|cat

- JSON, one object mapping each image to its class names::

      {"2007_000032": ["aeroplane", "person"], "img_0001": ["dog"]}

An image is named by its id, its file name or a path; the id is the base
name without extension, as in split files.
"""
import csv
import json
import os
import os.path as osp
import re
import shutil
from typing import List, NamedTuple, Sequence, Tuple

CSV_HEADER = ('image', 'labels')
_SEPARATORS = re.compile(r'[;|]')


class ImageLabels(NamedTuple):
    """One image of a label file.

    Attributes:
        img_id (str): The image's id (base name without extension).
        image (str): The image as the file names it.
        classes (tuple[str]): Its class names, in the file's order.
        line (int): Its line in the file (1-based), for error messages.
    """
    img_id: str
    image: str
    classes: Tuple[str, ...]
    line: int


def _image_id(image: str) -> str:
    return osp.splitext(osp.basename(image.strip()))[0]


def _read_csv(path: str, text: str) -> List[ImageLabels]:
    entries, header = [], None
    rows = csv.reader(text.splitlines())
    for line, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = row
            continue
        if len(row) != 2:
            raise ValueError(
                f'{path}:{line}: expected 2 fields (image,labels), got '
                f'{len(row)}: {row!r}; quote a field that holds a comma')
        image, labels = row
        classes = tuple(name.strip() for name in _SEPARATORS.split(labels)
                        if name.strip())
        entries.append(ImageLabels(_image_id(image), image.strip(), classes,
                                   line))
    return entries


def _read_json(path: str, text: str) -> List[ImageLabels]:
    def pairs(items):
        return items  # keep duplicates; json.loads would keep the last

    content = json.loads(text, object_pairs_hook=pairs)
    if not isinstance(content, list) or (content and not isinstance(
            content[0], tuple)):
        raise ValueError(f'{path}: a JSON label file is one object mapping '
                         'each image to a list of class names, got '
                         f'{type(content).__name__}')
    entries, searched_from = [], 0
    for image, labels in content:
        # The line of the key, for messages: keys appear in file order.
        at = text.find(json.dumps(image), searched_from)
        searched_from = max(at, searched_from)
        line = text.count('\n', 0, at) + 1 if at >= 0 else 0
        if isinstance(labels, str):
            labels = [labels]
        if not isinstance(labels, list) or not all(
                isinstance(name, str) for name in labels):
            raise ValueError(
                f'{path}:{line}: the labels of image {image!r} must be a '
                f'list of class names, got {labels!r}')
        entries.append(ImageLabels(
            _image_id(image), image,
            tuple(name.strip() for name in labels if name.strip()), line))
    return entries


def read_image_label_file(path: str) -> List[ImageLabels]:
    """Read a CSV or JSON label file, checking that no image is listed twice.

    Args:
        path (str): The file.

    Returns:
        list[ImageLabels]: Its images in file order.

    Raises:
        ValueError: The file is in neither format, a row is malformed, or an
            image is listed twice; the message names the file and line.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'label file not found: {path}')
    with open(path, encoding='utf-8-sig') as f:
        text = f.read()
    first_line = text.lstrip().split('\n', 1)[0].strip()
    if text.lstrip()[:1] in ('{', '['):
        try:
            entries = _read_json(path, text)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path}:{e.lineno}: not valid JSON: {e.msg}')
    elif tuple(cell.strip().lower() for cell in next(
            csv.reader([first_line]), [])) == CSV_HEADER:
        entries = _read_csv(path, text)
    else:
        raise ValueError(
            f'{path}:1: a label file is either JSON ({{"image": ["class", '
            '...]}) or CSV with the header "image,labels"; its first line '
            f'is {first_line[:80]!r}')
    first = {}
    for entry in entries:
        if entry.img_id in first:
            raise ValueError(
                f'{path}:{entry.line}: image {entry.image!r} is listed twice '
                f'(first at line {first[entry.img_id]})')
        first[entry.img_id] = entry.line
    return entries


def write_label_split(out_dir: str,
                      split: str,
                      images: Sequence[Tuple[str, str, Sequence[str]]],
                      classes: Sequence[str],
                      link: bool = False) -> str:
    """Write one split of :class:`LabelFileWSSSDataset`'s layout.

    ``out_dir/images/`` gets the images (copied, or symlinked with
    ``link``), ``out_dir/<split>.csv`` their labels and
    ``out_dir/class_names.txt`` the class list; a class list already there
    (from another split) must be the same one.

    Args:
        out_dir (str): The dataset folder.
        split (str): The label file's name, without ``.csv``.
        images (Sequence[tuple]): ``(img_id, source file, class names)``.
        classes (Sequence[str]): The class list, background first.
        link (bool): Symlink the images instead of copying them.

    Returns:
        str: The label file written.
    """
    classes = list(classes)
    class_file = osp.join(out_dir, 'class_names.txt')
    if osp.isfile(class_file):
        with open(class_file) as f:
            existing = [line.strip() for line in f if line.strip()]
        if existing != classes:
            raise ValueError(
                f'{class_file} lists {existing}, but this split has the '
                f'classes {classes}: convert every split with one class list')
    bad = [name for name in classes if _SEPARATORS.search(name)]
    if bad:
        raise ValueError(f'class names {bad} hold ";" or "|", which separate '
                         'the labels of a CSV label file')
    known = set(classes[1:])
    img_dir = osp.join(out_dir, 'images')
    os.makedirs(img_dir, exist_ok=True)
    rows = []
    for img_id, source, names in images:
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError(f'{source}: classes {unknown} are not in the '
                             f'class list {classes[1:]}')
        target = osp.join(img_dir, img_id + osp.splitext(source)[1].lower())
        if osp.lexists(target):
            os.remove(target)
        if link:
            os.symlink(osp.abspath(source), target)
        else:
            shutil.copyfile(source, target)
        rows.append((img_id, '|'.join(names)))
    label_file = osp.join(out_dir, split + '.csv')
    with open(label_file, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADER)
        writer.writerows(rows)
    with open(class_file, 'w') as f:
        f.write('\n'.join(classes) + '\n')
    return label_file
