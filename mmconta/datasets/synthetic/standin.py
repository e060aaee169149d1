"""VOC- and COCO-scale stand-ins written by the synthetic generator.

The flagship configs (``configs/conta/{cam,irn,seam}_{voc,coco}.py``) read
PASCAL VOC 2012 + SBD and MS-COCO 2014. A stand-in holds the confounded
shapes of :mod:`.confounded_shapes` in exactly the folders, split files,
file names and suffixes those configs read, at real image sizes, so that
every ``*_voc.py`` / ``*_coco.py`` config reads it unchanged with
``--data-root OUT``::

    python tools/dataset_converters/make_confounded_shapes.py \\
        data/standin_voc --layout voc --num-train 300 --num-val 100
    python tools/dataset_converters/make_confounded_shapes.py \\
        data/standin_coco --layout coco --min-side 360 --max-side 640

or, the same files, from Python::

    from mmconta.datasets.synthetic.standin import write_standin
    write_standin('data/standin_voc', 'voc', num_train=300, num_val=100)

Without ``--layout`` (or with ``--layout generic``) the command is the
generic generator, its files unchanged.

How an image is made: image i of split s (s = 0 for VOC's ``train_aug``
and COCO's ``train``, 1 for ``val``) is the generator's image i of split s
at side ``max_side`` (the same random streams ``[seed, s, i]`` and
``[seed, s, i, 1]``, hence the same objects, contexts, confounding and
co-occurrence), cropped to a height and a width drawn uniformly in
``[min_side, max_side]`` at a random offset (stream ``[seed, s, i, 2]``);
up to ``CROP_TRIES`` offsets are tried until one shows at least
``MIN_VISIBLE`` pixels of some object (else the one with the most
foreground is kept; ``meta.json`` counts images left without foreground).
The image is encoded once, as JPEG (hard mode: the generator's quality,
75-90; easy: 95). Deterministic per arguments (byte-identical files with
or without ``workers``). Sides must lie in [64, 1024].

Class mapping (shape -> class; the other classes never occur), chosen so
that the generator's companions (``COMPANIONS``: a ring beside a cross, a
circle beside a diamond) become classes that keep such company, and the
context bands read as water and rails:

* circle -> chair (VOC 9, COCO 57)
* square -> train (VOC 19, COCO 7)
* triangle -> boat (VOC 4, COCO 9)
* cross -> horse (VOC 13, COCO 18)
* ring -> person (VOC 15, COCO 1)
* diamond -> diningtable (VOC 11) / dining table (COCO 61)

Companions: a person beside a horse, a chair beside a dining table.

Layout ``voc`` (``VOCWSSSDataset``, ``configs/_base_/datasets/voc12aug_*``):
``JPEGImages/<name>.jpg``; ``SegmentationClassAug/<name>.png`` for every
image and ``SegmentationClass/<name>.png`` for ``train`` and ``val`` only,
as in VOC (palette PNGs, ids 0..20, 255 ignore on object boundaries in hard
mode); ``ImageSets/Segmentation/{train_aug,train,val}.txt``, ``train`` the
first ``max(1, round(num_train * 1464 / 10582))`` names of ``train_aug``
(VOC's share); IRN's ``cls_labels.npy`` (a dict in a 0-d object array, the
name's digits as int key, ``2008_000003`` -> 2008000003, 20-dim float32
multi-hot) over ``train_aug`` and ``val``. Names ``2008_NNNNNN``
(``train_aug``) and ``2007_NNNNNN`` (``val``).

Layout ``coco`` (``COCOWSSSDataset``, ``configs/_base_/datasets/coco_*``):
``train2014/COCO_train2014_<12 digits>.jpg`` (ids 1, 2, ...),
``val2014/COCO_val2014_<12 digits>.jpg`` (ids from 1000001, so no id is
in both splits, as in COCO), ``mask/{train2014,val2014}/<name>.png``
(ids 0..80 in ``COCO_CLASSES`` order, 255 ignore), ``ImageSets/{train,
val}.txt`` and a ``cls_labels.npy`` keyed by name (80-dim; no config reads
it, ``cls_label_file='cls_labels.npy'`` can).

Both layouts also hold the context maps, which VOC and COCO lack
(``ContextMaps/`` for voc, ``context/{train2014,val2014}/`` for coco;
mode L: 0 none, the class id where that class's context lies, 21 resp. 81
for a neutral context, as :class:`SeedMetric` reads them through
``data_prefix=dict(context_path=...)``), and ``meta.json``, written last
so that its presence marks a complete stand-in: the arguments, layout,
class mapping, companions, side range, and per split the measured sizes,
images without foreground, foreground and ignore shares and P(context |
class). A non-empty folder that is not a stand-in is refused unless
``overwrite``; even then only the layout's own entries are replaced.
"""
import argparse
import inspect
import json
import multiprocessing
import os
import os.path as osp
import shutil
import sys
import time
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from ..coco_wsss_dataset import COCO_CLASSES
from ..voc_wsss_dataset import VOCWSSSDataset
from . import confounded_shapes as shapes

# meta.json's ``generator``: a folder holding it is a previous stand-in.
GENERATOR = 'mmconta.datasets.synthetic.standin'
FORMAT_VERSION = 1
LAYOUTS = ('voc', 'coco')
CLI_LAYOUTS = ('generic', ) + LAYOUTS
SIDE_LIMITS = (64, 1024)  # smallest min_side, largest max_side
MAX_IMAGES = 999999  # per split: VOC names have six digits
CROP_STREAM = 2  # the crop's stream key (the coupling's is 1)
CROP_TRIES = 10
MIN_VISIBLE = 100  # px of one object that make a crop acceptable
EASY_JPEG_QUALITY = 95
VOC_TRAIN_SHARE = 1464 / 10582  # VOC's train within train_aug
COCO_VAL_ID_OFFSET = 1000000

VOC_CLASSES = tuple(VOCWSSSDataset.METAINFO['classes'])
SHAPE_TO_VOC = dict(
    circle='chair', square='train', triangle='boat', cross='horse',
    ring='person', diamond='diningtable')
SHAPE_TO_COCO = dict(
    circle='chair', square='train', triangle='boat', cross='horse',
    ring='person', diamond='dining table')


class SplitSpec(NamedTuple):
    """Where one stream's images go."""
    name: str  # the split file's name
    img_dir: str
    mask_dirs: Tuple[str, ...]
    context_dir: str


class LayoutSpec(NamedTuple):
    """One dataset layout: classes, mapping, folders and names."""
    classes: Tuple[str, ...]
    mapping: Dict[str, str]
    splits: Tuple[SplitSpec, SplitSpec]  # streams 0 and 1
    split_dir: str
    entries: Tuple[str, ...]  # what a stand-in of this layout owns


LAYOUT_SPECS = dict(
    voc=LayoutSpec(
        classes=VOC_CLASSES,
        mapping=SHAPE_TO_VOC,
        splits=(SplitSpec('train_aug', 'JPEGImages',
                          ('SegmentationClassAug', ), 'ContextMaps'),
                SplitSpec('val', 'JPEGImages',
                          ('SegmentationClassAug', 'SegmentationClass'),
                          'ContextMaps')),
        split_dir='ImageSets/Segmentation',
        entries=('cls_labels.npy', 'JPEGImages', 'SegmentationClass',
                 'SegmentationClassAug', 'ContextMaps', 'ImageSets')),
    coco=LayoutSpec(
        classes=COCO_CLASSES,
        mapping=SHAPE_TO_COCO,
        splits=(SplitSpec('train', 'train2014', ('mask/train2014', ),
                          'context/train2014'),
                SplitSpec('val', 'val2014', ('mask/val2014', ),
                          'context/val2014')),
        split_dir='ImageSets',
        entries=('cls_labels.npy', 'train2014', 'val2014', 'mask', 'context',
                 'ImageSets')))


def class_ids(layout: str) -> List[int]:
    """The dataset class id of each shape class, in ``CLASS_NAMES`` order."""
    spec = LAYOUT_SPECS[layout]
    return [spec.classes.index(spec.mapping[n]) for n in shapes.CLASS_NAMES]


def sample_name(layout: str, split_index: int, index: int) -> str:
    """The file name (no suffix) of image ``index`` of stream
    ``split_index``."""
    if layout == 'voc':
        return f'{2008 - split_index}_{index:06d}'
    if split_index == 0:
        return f'COCO_train2014_{index + 1:012d}'
    return f'COCO_val2014_{COCO_VAL_ID_OFFSET + index + 1:012d}'


def label_key(layout: str, name: str):
    """``cls_labels.npy``'s key: IRN's int for VOC, the name for COCO."""
    return int(name.replace('_', '')) if layout == 'voc' else name


def voc_train_count(num_train: int) -> int:
    """How many of the first ``train_aug`` names form VOC's ``train``."""
    return max(1, int(round(num_train * VOC_TRAIN_SHARE)))


def choose_crop(rng: np.random.Generator, mask: np.ndarray, min_side: int,
                max_side: int) -> Tuple[int, int, int, int]:
    """(y0, x0, height, width) of the crop of a square ``mask``.

    The height and width are uniform in [min_side, max_side]; offsets are
    tried until one shows ``MIN_VISIBLE`` pixels of some object, else the
    tried offset with the most foreground (the first such) is kept.
    """
    size = mask.shape[0]
    num = len(shapes.CLASS_NAMES)
    height, width = (int(v) for v in rng.integers(min_side, max_side + 1, 2))
    best, best_fg = None, -1
    for _ in range(CROP_TRIES):
        y0 = int(rng.integers(0, size - height + 1))
        x0 = int(rng.integers(0, size - width + 1))
        window = mask[y0:y0 + height, x0:x0 + width]
        counts = np.bincount(window.ravel(), minlength=256)[1:num + 1]
        if counts.max() >= MIN_VISIBLE:
            return y0, x0, height, width
        if counts.sum() > best_fg:
            best, best_fg = (y0, x0), int(counts.sum())
    return best[0], best[1], height, width


def save_palette_png(array: np.ndarray, path: str) -> None:
    """Write a class-id array as a VOC-palette PNG."""
    png = Image.fromarray(np.ascontiguousarray(array))
    png.putpalette(shapes.VOC_PALETTE)  # turns the L image into a P image
    png.save(path)


def write_standin_sample(task: tuple) -> Dict:
    """Render, crop and write one sample; return what ``meta.json`` and
    ``cls_labels.npy`` need of it.

    Takes one tuple so that ``multiprocessing.Pool.imap`` can call it.
    """
    (out_dir, layout, split_index, index, name, mask_dirs, seed, min_side,
     max_side, confounding, cooccurrence, difficulty) = task
    spec = LAYOUT_SPECS[layout]
    split = spec.splits[split_index]
    hard = difficulty == 'hard'
    num = len(shapes.CLASS_NAMES)
    # The generator's own draws (see confounded_shapes.write_sample).
    rng = np.random.default_rng([seed, split_index, index])
    coupled = cooccurrence > 0 and np.random.default_rng(
        [seed, split_index, index, shapes.COUPLING_STREAM]).random() < (
            cooccurrence)
    image, mask, context, dropped = shapes.render_image(
        rng, max_side, confounding, coupled, hard)
    if hard:
        low, high = shapes.JPEG_QUALITY_RANGE
        quality = int(rng.integers(low, high + 1))
    else:
        quality = EASY_JPEG_QUALITY
    y0, x0, height, width = choose_crop(
        np.random.default_rng([seed, split_index, index, CROP_STREAM]), mask,
        min_side, max_side)
    crop = (slice(y0, y0 + height), slice(x0, x0 + width))
    image, mask, context = image[crop], mask[crop], context[crop]

    ids = class_ids(layout)
    mask_lut = np.arange(256, dtype=np.uint8)
    mask_lut[1:num + 1] = ids
    context_lut = np.zeros(256, np.uint8)
    context_lut[1:num + 1] = ids
    context_lut[shapes.NEUTRAL_ID] = len(spec.classes)  # K + 1: neutral
    Image.fromarray(np.ascontiguousarray(image)).save(
        osp.join(out_dir, split.img_dir, name + '.jpg'), quality=quality)
    for mask_dir in mask_dirs:
        save_palette_png(mask_lut[mask],
                         osp.join(out_dir, mask_dir, name + '.png'))
    Image.fromarray(context_lut[context]).save(
        osp.join(out_dir, split.context_dir, name + '.png'))

    counts = np.bincount(mask.ravel(), minlength=256)
    pixels = counts[1:num + 1]
    return dict(
        height=height,
        width=width,
        pixels=pixels.tolist(),
        context=np.isin(np.arange(1, num + 1), context).tolist(),
        ignored=int(counts[shapes.IGNORE_INDEX]),
        dropped=dropped)


def summarise(samples: List[Dict]) -> Dict:
    """``meta.json``'s measurements of one split."""
    pixels = np.array([s['pixels'] for s in samples])
    present = pixels > 0
    shown = np.array([s['context'] for s in samples])
    total = sum(s['height'] * s['width'] for s in samples)
    heights = [s['height'] for s in samples]
    widths = [s['width'] for s in samples]
    per_class = {
        name: dict(
            images=int(present[:, k].sum()),
            with_context=int((present[:, k] & shown[:, k]).sum()),
            p_context_given_class=float(
                (present[:, k] & shown[:, k]).sum() /
                max(present[:, k].sum(), 1)))
        for k, name in enumerate(shapes.CLASS_NAMES)
    }
    return dict(
        images=len(samples),
        height=[min(heights), max(heights)],
        width=[min(widths), max(widths)],
        images_without_foreground=int((~present.any(axis=1)).sum()),
        # Labels of a class with fewer than MIN_VISIBLE pixels in the image.
        small_labels=int((present & (pixels < MIN_VISIBLE)).sum()),
        dropped_objects=sum(s['dropped'] for s in samples),
        foreground_fraction=float(pixels.sum() / max(total, 1)),
        ignore_fraction=float(
            sum(s['ignored'] for s in samples) / max(total, 1)),
        per_class=per_class,
        p_context_given_class=float(
            (present & shown).sum() / max(present.sum(), 1)))


def check_args(layout: str, num_train: int, num_val: int, min_side: int,
               max_side: int, confounding: float, cooccurrence: float,
               difficulty: str) -> Optional[str]:
    """The first problem with the arguments, or None if they are fine."""
    if layout not in LAYOUTS:
        return f'--layout must be one of {LAYOUTS}, got {layout!r}'
    # The generator's checks; its --size check is ours below.
    problem = shapes.check_args(num_train, num_val, confounding,
                                SIDE_LIMITS[0], cooccurrence, difficulty)
    if problem:
        return problem
    if max(num_train, num_val) > MAX_IMAGES:
        return (f'--num-train and --num-val must be at most {MAX_IMAGES}, '
                f'got {num_train} and {num_val}')
    low, high = SIDE_LIMITS
    if not low <= min_side <= max_side <= high:
        return (f'--min-side and --max-side must satisfy {low} <= min-side '
                f'<= max-side <= {high}, got {min_side} and {max_side}')
    return None


def previous_layout(out_dir: str) -> Optional[str]:
    """The layout of the stand-in in ``out_dir``, None if it holds none."""
    try:
        with open(osp.join(out_dir, 'meta.json')) as f:
            meta = json.load(f)
        if meta.get('generator') == GENERATOR:
            return meta.get('layout')
    except (OSError, ValueError, AttributeError):
        pass
    return None


def prepare_standin_dir(out_dir: str, layout: str, overwrite: bool) -> None:
    """Empty a stand-in's own entries in ``out_dir``; refuse strangers.

    As :func:`confounded_shapes.prepare_out_dir`: only the entries of
    ``layout`` (and of the previous stand-in's layout) are removed, so even
    with ``overwrite`` no foreign file is lost.

    Raises:
        FileExistsError: ``out_dir`` is non-empty, not a previous stand-in
            and ``overwrite`` is False.
    """
    previous = previous_layout(out_dir)
    if (osp.isdir(out_dir) and os.listdir(out_dir) and not overwrite
            and previous is None):
        raise FileExistsError(
            f'{out_dir} is not empty and holds no meta.json of a stand-in; '
            'pass --overwrite (overwrite=True) to write into it')
    # meta.json goes first: an interrupted run must not look complete.
    if osp.isfile(osp.join(out_dir, 'meta.json')):
        os.remove(osp.join(out_dir, 'meta.json'))
    for name in {layout, previous} & set(LAYOUTS):
        for entry in LAYOUT_SPECS[name].entries:
            path = osp.join(out_dir, entry)
            if osp.isdir(path):
                shutil.rmtree(path)
            elif osp.lexists(path):
                os.remove(path)
    spec = LAYOUT_SPECS[layout]
    for split in spec.splits:
        for folder in (split.img_dir, split.context_dir) + split.mask_dirs:
            os.makedirs(osp.join(out_dir, folder), exist_ok=True)
    os.makedirs(osp.join(out_dir, spec.split_dir), exist_ok=True)


def write_standin(out_dir: str,
                  layout: str,
                  num_train: int = 300,
                  num_val: int = 100,
                  seed: int = 0,
                  min_side: int = 300,
                  max_side: int = 500,
                  difficulty: str = 'hard',
                  workers: int = 0,
                  overwrite: bool = False,
                  confounding: float = 0.9,
                  cooccurrence: float = 0.0) -> Dict:
    """Write a VOC- or COCO-layout stand-in and return its meta information.

    The keyword arguments and their defaults are the command line's options
    with ``--layout voc`` or ``coco`` (see the module docstring).

    Args:
        out_dir: Output folder; created if missing.
        layout: ``'voc'`` or ``'coco'``.
        num_train: Images of the training split (VOC's ``train_aug``,
            COCO's ``train``).
        num_val: Images of ``val``.
        seed: Seed of every image's random streams.
        min_side: Smallest image height and width.
        max_side: Largest image height and width; the generator draws the
            images at this side before the crop.
        difficulty: ``'easy'`` or ``'hard'`` (the generator's).
        workers: Processes writing images; 0 writes in this process. The
            files do not depend on it.
        overwrite: Write into a non-empty folder that is not a stand-in.
        confounding: The generator's ``confounding``.
        cooccurrence: The generator's ``cooccurrence``.

    Returns:
        The content of ``meta.json``.

    Raises:
        ValueError: An argument is out of range.
        FileExistsError: See :func:`prepare_standin_dir`.
    """
    problem = check_args(layout, num_train, num_val, min_side, max_side,
                         confounding, cooccurrence, difficulty)
    if problem:
        raise ValueError(problem)
    if workers < 0:
        raise ValueError(f'--workers must be at least 0, got {workers}')
    prepare_standin_dir(out_dir, layout, overwrite)
    spec = LAYOUT_SPECS[layout]
    counts = (num_train, num_val)
    num_voc_train = voc_train_count(num_train)
    names = [[sample_name(layout, s, i) for i in range(counts[s])]
             for s in (0, 1)]
    tasks = []
    for split_index, split in enumerate(spec.splits):
        for index, name in enumerate(names[split_index]):
            mask_dirs = split.mask_dirs
            if layout == 'voc' and split_index == 0 and (
                    index < num_voc_train):
                mask_dirs = mask_dirs + ('SegmentationClass', )
            tasks.append((out_dir, layout, split_index, index, name,
                          mask_dirs, seed, min_side, max_side, confounding,
                          cooccurrence, difficulty))
    if workers > 0:
        with multiprocessing.Pool(workers) as pool:
            samples = list(pool.imap(write_standin_sample, tasks, 4))
    else:
        samples = list(map(write_standin_sample, tasks))
    per_split = (samples[:num_train], samples[num_train:])

    split_files = {
        split.name: names[s]
        for s, split in enumerate(spec.splits)
    }
    if layout == 'voc':
        split_files['train'] = names[0][:num_voc_train]
    for split_name, split_names in split_files.items():
        with open(osp.join(out_dir, spec.split_dir, split_name + '.txt'),
                  'w') as f:
            f.write(''.join(name + '\n' for name in split_names))

    ids = class_ids(layout)
    table = {}
    for split_names, split_samples in zip(names, per_split):
        for name, sample in zip(split_names, split_samples):
            vector = np.zeros(len(spec.classes) - 1, np.float32)
            for k, count in enumerate(sample['pixels']):
                if count:
                    vector[ids[k] - 1] = 1
            table[label_key(layout, name)] = vector
    np.save(osp.join(out_dir, 'cls_labels.npy'),
            np.array(table, dtype=object))

    measured = {
        split.name: summarise(per_split[s])
        for s, split in enumerate(spec.splits)
    }
    heights = [v for m in measured.values() for v in m['height']]
    widths = [v for m in measured.values() for v in m['width']]
    meta = dict(
        generator=GENERATOR,
        format_version=FORMAT_VERSION,
        layout=layout,
        args=dict(num_train=num_train, num_val=num_val, seed=seed,
                  min_side=min_side, max_side=max_side,
                  confounding=confounding, cooccurrence=cooccurrence,
                  difficulty=difficulty),
        classes=list(spec.classes),
        class_mapping={
            shape: dict(name=spec.mapping[shape], id=ids[k])
            for k, shape in enumerate(shapes.CLASS_NAMES)
        },
        companions={
            spec.mapping[p]: spec.mapping[c]
            for p, c in shapes.COMPANIONS.items()
        },
        context_ids=dict(none=0, neutral=len(spec.classes),
                         **{spec.mapping[n]: ids[k]
                            for k, n in enumerate(shapes.CLASS_NAMES)}),
        img_suffix='.jpg',
        ignore_index=shapes.IGNORE_INDEX if difficulty == 'hard' else None,
        side_range=[min_side, max_side],
        sizes=dict(height=[min(heights), max(heights)],
                   width=[min(widths), max(widths)]),
        images_without_foreground=sum(
            m['images_without_foreground'] for m in measured.values()),
        splits={name: len(v) for name, v in split_files.items()},
        measured=measured)
    with open(osp.join(out_dir, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')
    return meta


def build_parser() -> argparse.ArgumentParser:
    """The command line with ``--layout voc`` or ``coco``."""
    parser = argparse.ArgumentParser(
        description='Write the synthetic confounded benchmark: the generic '
        'layout (the default; see confounded_shapes, its --size and '
        'defaults), or a VOC- or COCO-scale stand-in (--layout) that the '
        '*_voc.py / *_coco.py configs read with --data-root OUT.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('out', help='output folder')
    parser.add_argument(
        '--layout', choices=CLI_LAYOUTS, default='generic',
        help='generic: the generator as without this option (takes --size, '
        'not --min-side/--max-side); voc: PASCAL VOC 2012 + SBD; coco: '
        'MS-COCO 2014')
    parser.add_argument('--num-train', type=int,
                        help='voc: train_aug images; coco: train images')
    parser.add_argument('--num-val', type=int, help='val images')
    parser.add_argument('--seed', type=int, help='seed of every image')
    parser.add_argument(
        '--confounding', type=float,
        help='P(class-specific context | class); 0 gives the control')
    parser.add_argument(
        '--cooccurrence', type=float,
        help='P(an image is coupled: each primary in it has its companion '
        'touching it); 0 gives the control')
    parser.add_argument(
        '--difficulty', choices=shapes.DIFFICULTIES,
        help='the default is a stand-in\'s; the generic layout\'s is easy')
    parser.add_argument('--min-side', type=int,
                        help='smallest image height and width')
    parser.add_argument('--max-side', type=int,
                        help='largest image height and width')
    parser.add_argument(
        '--workers', type=int,
        help='writing processes; 0 writes in this one (same files)')
    parser.add_argument(
        '--overwrite', action='store_true',
        help='write into a non-empty OUT that is not a previous stand-in')
    parser.set_defaults(
        **{
            name: param.default
            for name, param in inspect.signature(
                write_standin).parameters.items()
            if param.default is not param.empty
        })
    return parser


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Stand-in arguments (``--layout voc`` or ``coco``), range-checked.

    Returns:
        ``out`` and, named as :func:`write_standin`'s arguments, the
        options.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.layout not in LAYOUTS:
        parser.error('parse_args reads the stand-in options: give --layout '
                     f'{" or ".join(LAYOUTS)}')
    problem = check_args(args.layout, args.num_train, args.num_val,
                         args.min_side, args.max_side, args.confounding,
                         args.cooccurrence, args.difficulty)
    if problem:
        parser.error(problem)
    if args.workers < 0:
        parser.error(f'--workers must be at least 0, got {args.workers}')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    """The command: the generic generator, or a stand-in with ``--layout``.

    Without ``--layout`` (or with ``--layout generic``) the remaining
    arguments go to :func:`confounded_shapes.main` unchanged, so the
    generic files and messages are what they always were.

    Args:
        argv: The arguments; None reads ``sys.argv[1:]``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument('--layout', choices=CLI_LAYOUTS, default='generic')
    known, rest = pre.parse_known_args(argv)
    if known.layout == 'generic' and not {'-h', '--help'} & set(rest):
        shapes.main(rest)
        return
    args = parse_args(argv)
    options = dict(vars(args))
    out_dir = options.pop('out')
    start = time.perf_counter()
    try:
        meta = write_standin(out_dir, **options)
    except FileExistsError as error:
        raise SystemExit(str(error))
    print(f'wrote a {args.layout} stand-in to {out_dir} in '
          f'{time.perf_counter() - start:.1f} s ({args.difficulty}, sides '
          f'{args.min_side}-{args.max_side}, confounding '
          f'{args.confounding}, cooccurrence {args.cooccurrence}, seed '
          f'{args.seed})')
    for split, stats in meta['measured'].items():
        print(f'{split}: {stats["images"]} images, height '
              f'{stats["height"][0]}-{stats["height"][1]}, width '
              f'{stats["width"][0]}-{stats["width"][1]}, without foreground '
              f'{stats["images_without_foreground"]}, P(ctx|class) '
              f'{stats["p_context_given_class"]:.3f}, foreground '
              f'{stats["foreground_fraction"]:.3f}')
