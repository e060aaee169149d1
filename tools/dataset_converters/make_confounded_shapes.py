"""Write a synthetic, deliberately confounded WSSS benchmark (VOC layout).

Generative process (``--confounding P``):

* K = 6 object classes of distinct shapes and colours (``CLASS_NAMES``); each
  image holds 1 or 2 objects (2 with probability 0.5) of distinct classes,
  with random size, position and a small colour jitter, on a smooth random
  background.
* Every object stands on exactly one context region, its "ground" (like
  water under a boat): a textured band touching the object from below,
  drawn before the objects and labelled background in the mask. With
  probability P the band shows the texture of the object's class; otherwise
  one of a few neutral textures tied to no class.
* Hence P(context of k | k present) = P and P(context of k | k absent) = 0:
  an image-level classifier can score class k from its context, and its CAM
  spills onto it. ``--confounding 0`` is the control: the same objects and
  the same amount of context, every context independent of the class.

Layout under OUT (generic PASCAL VOC, read by ``FolderWSSSDataset``):
``JPEGImages/<id>.png``, ``SegmentationClass/<id>.png`` (palette PNG, ids
0..K), ``ContextMaps/<id>.png`` (0 none, k = class k's context, K+1 =
neutral; only outside objects), ``ImageSets/Segmentation/{train,val}.txt``,
``class_names.txt`` (background first) and ``meta.json`` (arguments and the
co-occurrence measured on the written files), written last.

The same arguments give byte-identical files: every image draws from its own
generator seeded by (seed, split, index).
"""
import argparse
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Tuple

import numpy as np
from PIL import Image

from mmconta.utils import voc_palette

FORMAT_VERSION = 1
CLASS_NAMES = ('circle', 'square', 'triangle', 'cross', 'ring', 'diamond')
CLASS_COLOURS = ((220, 40, 40), (40, 180, 40), (40, 80, 220), (230, 200, 30),
                 (200, 50, 200), (30, 200, 210))
SPLITS = ('train', 'val')
NEUTRAL = len(CLASS_NAMES) + 1  # context-map id of every neutral texture

# Textures: (kind, period, angle in degrees, colour a, colour b). Class k's
# context is CLASS_TEXTURES[k]; neutral ones are grey, of similar busyness.
CLASS_TEXTURES = (
    ('stripes', 6, 0, (40, 90, 200), (210, 230, 250)),
    ('stripes', 6, 90, (120, 70, 30), (240, 150, 60)),
    ('stripes', 8, 45, (20, 110, 40), (120, 200, 90)),
    ('checks', 4, 0, (110, 40, 140), (240, 160, 200)),
    ('dots', 6, 0, (60, 60, 60), (250, 230, 60)),
    ('stripes', 5, -45, (190, 30, 60), (170, 170, 170)),
)
NEUTRAL_TEXTURES = (
    ('stripes', 7, 0, (90, 90, 90), (180, 180, 180)),
    ('checks', 5, 0, (100, 100, 100), (170, 170, 170)),
    ('stripes', 6, 60, (120, 120, 120), (200, 200, 200)),
)


def shape_mask(cls: int, yy: np.ndarray, xx: np.ndarray, cy: float,
               cx: float, r: float) -> np.ndarray:
    """Boolean mask of class ``cls``'s shape centred at (cy, cx)."""
    dy, dx = yy - cy, xx - cx
    if cls == 0:  # circle
        return dy**2 + dx**2 <= r**2
    if cls == 1:  # square
        return (np.abs(dy) <= 0.8 * r) & (np.abs(dx) <= 0.8 * r)
    if cls == 2:  # triangle, apex up
        return (dy >= -r) & (dy <= 0.8 * r) & (np.abs(dx) <= (dy + r) * 0.6)
    if cls == 3:  # cross
        return ((np.abs(dx) <= 0.3 * r) & (np.abs(dy) <= r)) | (
            (np.abs(dy) <= 0.3 * r) & (np.abs(dx) <= r))
    if cls == 4:  # ring
        dist2 = dy**2 + dx**2
        return (dist2 <= r**2) & (dist2 >= (0.55 * r)**2)
    if cls == 5:  # diamond
        return np.abs(dy) + np.abs(dx) <= r
    raise ValueError(f'unknown class index {cls}')


def texture(spec: tuple, yy: np.ndarray, xx: np.ndarray,
            phase: float) -> np.ndarray:
    """RGB float texture over the whole grid."""
    kind, period, angle, colour_a, colour_b = spec
    if kind == 'stripes':
        theta = np.deg2rad(angle)
        u = yy * np.cos(theta) + xx * np.sin(theta) + phase
        pick = (u // (period / 2)) % 2 == 0
    elif kind == 'checks':
        pick = ((yy + phase) // period + (xx + phase) // period) % 2 == 0
    else:  # dots on a grid
        py, px = (yy + phase) % period, (xx + phase) % period
        pick = (py - period / 2)**2 + (px - period / 2)**2 > (period / 3)**2
    return np.where(pick[..., None], np.array(colour_a, np.float32),
                    np.array(colour_b, np.float32))


def smooth_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A low-frequency random colour field."""
    coarse = rng.uniform(70, 190, size=(4, 4, 3)).astype(np.uint8)
    return np.asarray(
        Image.fromarray(coarse).resize((size, size), Image.BILINEAR),
        np.float32)


def place_objects(rng: np.random.Generator, classes: List[int],
                  size: int) -> List[Tuple[int, float, float, float, tuple]]:
    """Non-overlapping (class, cy, cx, r, context box) placements.

    The footprint of an object is its box plus its context band below it.
    Rejection sampling with a bounded number of tries; objects shrink if a
    layout keeps failing, and a second object that never fits is dropped.
    """
    placed = []
    for cls in classes:
        scale = 1.0
        for attempt in range(200):
            if attempt and attempt % 50 == 0:
                scale *= 0.85
            r = rng.uniform(0.11, 0.16) * size * scale
            band_w = r * rng.uniform(2.2, 3.0)
            band_h = r * rng.uniform(0.8, 1.2)
            cy = rng.uniform(r, size - 0.6 * r - band_h)
            cx = rng.uniform(r, size - r)
            top = cy + 0.6 * r  # the band touches the object's lower part
            box = (int(top), int(min(size, top + band_h)),
                   int(max(0, cx - band_w / 2)),
                   int(min(size, cx + band_w / 2)))
            footprint = (cy - r, box[1], min(cx - r, box[2]),
                         max(cx + r, box[3]))
            if all(footprint[1] + 2 < other[0] or other[1] + 2 < footprint[0]
                   or footprint[3] + 2 < other[2] or other[3] + 2 < footprint[2]
                   for other in (p[5] for p in placed)):
                placed.append((cls, cy, cx, r, box, footprint))
                break
    return [p[:5] for p in placed]


def render_image(rng: np.random.Generator, size: int,
                 confounding: float) -> Tuple[np.ndarray, ...]:
    """One image, its class mask and its context map."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    num_objects = 2 if rng.random() < 0.5 else 1
    classes = [int(c) for c in rng.choice(len(CLASS_NAMES), num_objects,
                                          replace=False)]
    objects = place_objects(rng, classes, size)
    image = smooth_background(rng, size)
    mask = np.zeros((size, size), np.uint8)
    context = np.zeros((size, size), np.uint8)
    for cls, _, _, _, (y0, y1, x0, x1) in objects:
        if rng.random() < confounding:
            spec, context_id = CLASS_TEXTURES[cls], cls + 1
        else:
            spec = NEUTRAL_TEXTURES[rng.integers(len(NEUTRAL_TEXTURES))]
            context_id = NEUTRAL
        band = texture(spec, yy, xx, phase=float(rng.integers(0, 8)))
        image[y0:y1, x0:x1] = band[y0:y1, x0:x1]
        context[y0:y1, x0:x1] = context_id
    for cls, cy, cx, r, _ in objects:
        inside = shape_mask(cls, yy, xx, cy, cx, r)
        colour = np.clip(
            np.array(CLASS_COLOURS[cls]) + rng.integers(-15, 16, 3), 0, 255)
        image[inside] = colour
        mask[inside] = cls + 1
    context[mask > 0] = 0  # context is what lies around the object
    image += rng.normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), mask, context


def write_png(path: str, array: np.ndarray, palette=None) -> None:
    img = Image.fromarray(array, mode='P' if palette else None)
    if palette:
        img.putpalette(palette)
    img.save(path)


def measure_cooccurrence(out_dir: str, split: str) -> Dict:
    """Class/context co-occurrence read back from the written files.

    Returns per class the number of images with the class, how many of them
    also show its context, P(context k | k present) and
    P(context k | k absent), and the rate over all object instances.
    """
    names = open(osp.join(out_dir, 'ImageSets', 'Segmentation',
                          f'{split}.txt')).read().split()
    num = len(CLASS_NAMES)
    with_cls, with_both, ctx_without_cls = (np.zeros(num, int)
                                            for _ in range(3))
    for name in names:
        mask = np.asarray(
            Image.open(osp.join(out_dir, 'SegmentationClass', name + '.png')))
        ctx = np.asarray(
            Image.open(osp.join(out_dir, 'ContextMaps', name + '.png')))
        present = np.zeros(num, bool)
        present[[i - 1 for i in np.unique(mask) if 0 < i <= num]] = True
        shown = np.zeros(num, bool)
        shown[[i - 1 for i in np.unique(ctx) if 0 < i <= num]] = True
        with_cls += present
        with_both += present & shown
        ctx_without_cls += ~present & shown
    without_cls = len(names) - with_cls
    per_class = {
        CLASS_NAMES[k]: dict(
            images=int(with_cls[k]),
            with_context=int(with_both[k]),
            p_context_given_class=float(with_both[k] / max(with_cls[k], 1)),
            p_context_given_absent=float(ctx_without_cls[k] /
                                         max(without_cls[k], 1)))
        for k in range(num)
    }
    return dict(
        images=len(names),
        per_class=per_class,
        p_context_given_class=float(with_both.sum() / max(with_cls.sum(), 1)))


def generate(out_dir: str, num_train: int, num_val: int, seed: int,
             confounding: float, size: int = 112) -> Dict:
    """Write the benchmark into ``out_dir``; return its meta information."""
    for sub in ('JPEGImages', 'SegmentationClass', 'ContextMaps',
                'ImageSets/Segmentation'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    palette = np.asarray(voc_palette(256), np.uint8).reshape(-1).tolist()
    for split_index, (split, count) in enumerate(
            zip(SPLITS, (num_train, num_val))):
        names = [f'{split}_{i:06d}' for i in range(count)]
        for index, name in enumerate(names):
            rng = np.random.default_rng([seed, split_index, index])
            image, mask, context = render_image(rng, size, confounding)
            write_png(osp.join(out_dir, 'JPEGImages', name + '.png'), image)
            write_png(osp.join(out_dir, 'SegmentationClass', name + '.png'),
                      mask, palette)
            write_png(osp.join(out_dir, 'ContextMaps', name + '.png'),
                      context)
        with open(osp.join(out_dir, 'ImageSets', 'Segmentation',
                           f'{split}.txt'), 'w') as f:
            f.write(''.join(n + '\n' for n in names))
    with open(osp.join(out_dir, 'class_names.txt'), 'w') as f:
        f.write('\n'.join(('background', ) + CLASS_NAMES) + '\n')
    meta = dict(
        format_version=FORMAT_VERSION,
        generator='tools/dataset_converters/make_confounded_shapes.py',
        args=dict(num_train=num_train, num_val=num_val, seed=seed,
                  confounding=confounding, size=size),
        classes=('background', ) + CLASS_NAMES,
        context_ids=dict(none=0, neutral=NEUTRAL,
                         **{n: k + 1 for k, n in enumerate(CLASS_NAMES)}),
        measured={s: measure_cooccurrence(out_dir, s) for s in SPLITS})
    # Written last: its presence marks a complete dataset.
    with open(osp.join(out_dir, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
    return meta


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='output folder')
    parser.add_argument('--num-train', type=int, default=300)
    parser.add_argument('--num-val', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--confounding', type=float, default=0.9,
        help='P(class-specific context | class); 0 gives the control')
    parser.add_argument('--size', type=int, default=112, help='image side')
    parser.add_argument(
        '--overwrite', action='store_true',
        help='replace a non-empty OUT that is not a previous output')
    args = parser.parse_args()
    if not 0 <= args.confounding <= 1:
        parser.error(f'--confounding must be in [0, 1], got {args.confounding}')
    if not 64 <= args.size <= 512:
        parser.error(f'--size must be in [64, 512], got {args.size}')
    if args.num_train < 1 or args.num_val < 1:
        parser.error('--num-train and --num-val must be at least 1')
    return args


def main() -> None:
    args = parse_args()
    if osp.isdir(args.out) and os.listdir(args.out):
        if not (args.overwrite
                or osp.isfile(osp.join(args.out, 'meta.json'))):
            raise SystemExit(f'{args.out} is not empty and holds no '
                             'meta.json of this generator: pass --overwrite')
        shutil.rmtree(args.out)  # no stale files from a larger earlier run
    meta = generate(args.out, args.num_train, args.num_val, args.seed,
                    args.confounding, args.size)
    for split in SPLITS:
        stats = meta['measured'][split]
        rates = ', '.join(f'{n} {v["p_context_given_class"]:.2f}'
                          for n, v in stats['per_class'].items())
        print(f'{split}: {stats["images"]} images, P(context|class) '
              f'{stats["p_context_given_class"]:.3f} ({rates})')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
