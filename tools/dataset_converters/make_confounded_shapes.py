"""Write a synthetic, deliberately confounded WSSS benchmark (VOC layout).

Generative process (``--confounding P``, image side ``--size S``):

* K = 6 object classes (``CLASS_NAMES``) with distinct shapes and distinct
  base colours: circle, square, triangle, cross, ring, diamond. Each object
  gets a colour jitter of +-15 per channel, a random radius of 0.12-0.2 S
  and a random position; it lies wholly inside the image.
* Background: a smooth random colour field (low-frequency noise, upsampled),
  muted so that it never looks like an object; mild pixel noise (sigma 5)
  covers the whole finished image.
* Each image holds 1 or 2 objects (2 with probability 0.5) of distinct
  classes drawn uniformly.
* Every object gets exactly one context region, its "ground" (like water
  under a boat): a textured band directly below the object, touching it
  (the object sinks 0.2 r into it), 1.5-2.5x the object's width and
  0.6-1.0x its height, clipped to the image at the sides. Bands are drawn
  BEFORE the objects, so objects lie on top. With probability P a band shows
  the texture of its object's class (K distinct textures: stripes of
  different orientation, frequency and colour pairs, checks, dots);
  otherwise one of a few neutral textures tied to no class (grey stripes,
  checks and dots of similar busyness). Context regions are labelled
  background (0) in the mask and recorded in ``ContextMaps``.
* Hence P(ctx_k | k present) = P and P(ctx_k | k absent) = 0 in
  expectation. ``--confounding 0`` makes every context neutral, i.e. context
  independent of class: the control, with the same amount of clutter.
* The objects of one image, bands included, do not overlap: rejection
  sampling, and after a bounded number of tries the whole layout is drawn
  again smaller (never below a radius of 7.5 px, so an object keeps at least
  ~100 visible pixels). A second object that still does not fit is dropped;
  ``meta.json`` counts such drops.
* Determinism: image i of split s draws only from
  ``numpy.random.default_rng([seed, s, i])`` (s = 0 train, 1 val), so the
  same arguments give byte-identical files, with or without ``--workers``,
  and train and val use different streams.

Layout under OUT (generic PASCAL VOC, read by ``FolderWSSSDataset``):
``JPEGImages/<id>.png`` (RGB), ``SegmentationClass/<id>.png`` (palette PNG,
ids 0..K, no 255), ``ContextMaps/<id>.png`` (mode L: 0 none, k = class k's
context, K+1 = neutral; object pixels are 0), ``ImageSets/Segmentation/
{train,val}.txt``, ``class_names.txt`` (background first) and ``meta.json``
(arguments, class names and the co-occurrence measured on the written
files), written last so that its presence marks a complete dataset.

Example::

    python tools/dataset_converters/make_confounded_shapes.py \\
        data/confounded_shapes --num-train 300 --num-val 100 --seed 0 \\
        --confounding 0.9
"""
import argparse
import json
import multiprocessing
import os
import os.path as osp
import shutil
import time
from typing import Dict, List, NamedTuple, Optional, Tuple

import numpy as np
from PIL import Image

GENERATOR = 'tools/dataset_converters/make_confounded_shapes.py'
FORMAT_VERSION = 2
SPLITS = ('train', 'val')

CLASS_NAMES = ('circle', 'square', 'triangle', 'cross', 'ring', 'diamond')
CLASS_COLOURS = ((220, 40, 40), (40, 180, 40), (40, 80, 220), (230, 200, 30),
                 (200, 50, 200), (30, 200, 210))
NEUTRAL_ID = len(CLASS_NAMES) + 1  # context-map id of every neutral texture

# A texture is (kind, period in px, angle in degrees, colour a, colour b).
# Class k's context is CLASS_TEXTURES[k]; the colours avoid the saturated
# object colours so a context never looks like another class's object.
CLASS_TEXTURES = (
    ('stripes', 6, 0, (30, 60, 120), (150, 190, 230)),
    ('stripes', 6, 90, (110, 60, 20), (220, 150, 80)),
    ('stripes', 8, 45, (70, 80, 20), (200, 200, 140)),
    ('checks', 4, 0, (90, 30, 110), (230, 170, 210)),
    ('dots', 6, 0, (30, 30, 30), (250, 200, 150)),
    ('stripes', 5, -45, (20, 100, 100), (240, 220, 170)),
)
# Neutral grounds: the same kinds of pattern in greys, tied to no class.
NEUTRAL_TEXTURES = (
    ('stripes', 7, 0, (95, 95, 95), (175, 175, 175)),
    ('checks', 5, 0, (105, 100, 95), (185, 180, 175)),
    ('stripes', 6, 60, (120, 120, 115), (205, 205, 200)),
    ('dots', 6, 0, (80, 80, 80), (190, 190, 190)),
)

RADIUS_RANGE = (0.12, 0.2)  # object radius, fraction of the image side
MIN_RADIUS = 7.5  # px; the smallest shape (triangle) then covers ~110 px
BAND_WIDTH_RANGE = (1.5, 2.5)  # context width, times the object width
BAND_HEIGHT_RANGE = (0.6, 1.0)  # context height, times the object height
SINK = 0.2  # how deep (times r) an object sits in its context band
GAP = 2  # px kept free between the footprints of two objects
LAYOUT_ROUNDS = 6  # layouts tried, each 15% smaller than the one before
TRIES_PER_OBJECT = 30
COLOUR_JITTER = 15
PIXEL_NOISE = 5.0


class Placement(NamedTuple):
    """Where one object and its context band go (pixel coordinates)."""
    cls: int
    cy: float
    cx: float
    r: float
    band: Tuple[int, int, int, int]  # y0, y1, x0, x1; half-open

    def footprint(self) -> Tuple[float, float, float, float]:
        """Bounding box (y0, y1, x0, x1) of the object and its band."""
        y0, y1, x0, x1 = self.band
        return (self.cy - self.r, y1, min(self.cx - self.r, x0),
                max(self.cx + self.r, x1))


def make_voc_palette() -> List[int]:
    """PASCAL VOC's 256-colour map, flat, as ``Image.putpalette`` wants.

    Inlined rather than imported from ``mmconta`` so the generator needs
    only numpy and Pillow.
    """
    palette = []
    for index in range(256):
        rgb, cid = [0, 0, 0], index
        for shift in range(7, -1, -1):
            for channel in range(3):
                rgb[channel] |= ((cid >> channel) & 1) << shift
            cid >>= 3
        palette.extend(rgb)
    return palette


VOC_PALETTE = make_voc_palette()


def shape_bottom(cls: int) -> float:
    """Lowest extent of class ``cls``'s shape below its centre, times r."""
    return 0.8 if CLASS_NAMES[cls] in ('square', 'triangle') else 1.0


def shape_mask(cls: int, yy: np.ndarray, xx: np.ndarray, cy: float,
               cx: float, r: float) -> np.ndarray:
    """Boolean mask of class ``cls``'s shape of radius ``r`` at (cy, cx).

    Every shape fits in the square of half-side ``r`` around its centre.
    """
    dy, dx = yy - cy, xx - cx
    name = CLASS_NAMES[cls]
    if name == 'circle':
        return dy**2 + dx**2 <= r**2
    if name == 'square':
        return (np.abs(dy) <= 0.8 * r) & (np.abs(dx) <= 0.8 * r)
    if name == 'triangle':  # apex up, base at 0.8 r below the centre
        return (dy <= 0.8 * r) & (np.abs(dx) <= (dy + r) * 0.6)
    if name == 'cross':
        return ((np.abs(dx) <= 0.3 * r) & (np.abs(dy) <= r)) | (
            (np.abs(dy) <= 0.3 * r) & (np.abs(dx) <= r))
    if name == 'ring':
        dist2 = dy**2 + dx**2
        return (dist2 <= r**2) & (dist2 >= (0.55 * r)**2)
    return np.abs(dy) + np.abs(dx) <= r  # diamond


def texture(spec: tuple, yy: np.ndarray, xx: np.ndarray, phase_y: int,
            phase_x: int) -> np.ndarray:
    """RGB float texture at absolute pixel coordinates ``yy``, ``xx``."""
    kind, period, angle, colour_a, colour_b = spec
    yy, xx = yy + phase_y, xx + phase_x
    if kind == 'stripes':
        theta = np.deg2rad(angle)
        u = yy * np.cos(theta) + xx * np.sin(theta)
        pick_a = (u // (period / 2)) % 2 == 0
    elif kind == 'checks':
        pick_a = (yy // period + xx // period) % 2 == 0
    else:  # dots of colour a on colour b
        dy, dx = yy % period - period / 2, xx % period - period / 2
        pick_a = dy**2 + dx**2 <= (period / 3)**2
    return np.where(pick_a[..., None], np.array(colour_a, np.float32),
                    np.array(colour_b, np.float32))


def smooth_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A muted, low-frequency random colour field, float (size, size, 3).

    A grey level plus a small tint per channel keeps the field away from
    the saturated object colours; two octaves keep it from looking flat.
    """
    grey = rng.uniform(70, 190, size=(4, 4, 1))
    coarse = grey + rng.uniform(-35, 35, size=(4, 4, 3))
    fine = rng.uniform(-15, 15, size=(8, 8, 3))
    field = upsample(coarse, size) + upsample(fine, size)
    return field.astype(np.float32)


def upsample(grid: np.ndarray, size: int) -> np.ndarray:
    """Bilinear upsampling of a small (h, w, C) grid to (size, size, C).

    Pillow's float resampling, not BLAS, so the result is the same on
    every machine.
    """
    channels = [
        Image.fromarray(grid[..., c].astype(np.float32)).resize(
            (size, size), Image.Resampling.BILINEAR)
        for c in range(grid.shape[2])
    ]
    return np.stack([np.asarray(c) for c in channels], axis=-1)


def sample_placement(rng: np.random.Generator, cls: int, size: int,
                     scale: float) -> Placement:
    """Random radius, band shape and position for one object.

    The object lies wholly inside the image and its band wholly inside
    vertically, so every object shows all of its pixels and a context.
    """
    r = max(rng.uniform(*RADIUS_RANGE) * size * scale, MIN_RADIUS)
    band_w = rng.uniform(*BAND_WIDTH_RANGE) * 2 * r
    band_h = rng.uniform(*BAND_HEIGHT_RANGE) * 2 * r
    below = (shape_bottom(cls) - SINK) * r  # from the centre to band top
    cx = rng.uniform(r, size - r)
    cy = rng.uniform(r, max(r, size - below - band_h))
    top = int(round(cy + below))
    band = (top, min(size, top + int(round(band_h))),
            max(0, int(round(cx - band_w / 2))),
            min(size, int(round(cx + band_w / 2))))
    return Placement(cls, cy, cx, r, band)


def apart(a: Placement, b: Placement) -> bool:
    """Whether two footprints keep ``GAP`` pixels between them."""
    ay0, ay1, ax0, ax1 = a.footprint()
    by0, by1, bx0, bx1 = b.footprint()
    return (ay1 + GAP <= by0 or by1 + GAP <= ay0 or ax1 + GAP <= bx0
            or bx1 + GAP <= ax0)


def place_objects(rng: np.random.Generator, classes: List[int],
                  size: int) -> List[Placement]:
    """Non-overlapping placements of ``classes``; may drop a late one.

    Each layout round places the objects in turn with a bounded number of
    tries each; a round that fails starts over with smaller objects, so a
    large first object cannot crowd the second one out for good.
    """
    placed: List[Placement] = []
    for round_index in range(LAYOUT_ROUNDS):
        scale = 0.85**round_index
        placed = []
        for cls in classes:
            for _ in range(TRIES_PER_OBJECT):
                candidate = sample_placement(rng, cls, size, scale)
                if all(apart(candidate, other) for other in placed):
                    placed.append(candidate)
                    break
            else:
                break  # this object found no room: next round, smaller
        if len(placed) == len(classes):
            break
    return placed


def render_image(rng: np.random.Generator, size: int, confounding: float
                 ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Draw one sample.

    Args:
        rng: The image's own random generator.
        size: Image side in pixels.
        confounding: Probability that a band shows its class's texture.

    Returns:
        The RGB image (uint8), the class mask, the context map, and how
        many drawn objects found no room and were dropped.
    """
    num_objects = 2 if rng.random() < 0.5 else 1
    classes = [int(c) for c in rng.choice(len(CLASS_NAMES), num_objects,
                                          replace=False)]
    objects = place_objects(rng, classes, size)
    image = smooth_background(rng, size)
    mask = np.zeros((size, size), np.uint8)
    context = np.zeros((size, size), np.uint8)
    for obj in objects:
        draw_context(rng, obj, confounding, image, context)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    for obj in objects:
        inside = shape_mask(obj.cls, yy, xx, obj.cy, obj.cx, obj.r)
        jitter = rng.integers(-COLOUR_JITTER, COLOUR_JITTER + 1, 3)
        image[inside] = np.clip(np.add(CLASS_COLOURS[obj.cls], jitter), 0,
                                255)
        mask[inside] = obj.cls + 1
    context[mask > 0] = 0  # a context is what lies around its object
    image += rng.normal(0, PIXEL_NOISE, image.shape)
    image = np.clip(np.round(image), 0, 255).astype(np.uint8)
    return image, mask, context, num_objects - len(objects)


def draw_context(rng: np.random.Generator, obj: Placement,
                 confounding: float, image: np.ndarray,
                 context: np.ndarray) -> None:
    """Paint ``obj``'s band into ``image`` and label it in ``context``."""
    if rng.random() < confounding:
        spec, context_id = CLASS_TEXTURES[obj.cls], obj.cls + 1
    else:
        spec = NEUTRAL_TEXTURES[rng.integers(len(NEUTRAL_TEXTURES))]
        context_id = NEUTRAL_ID
    phase_y, phase_x = (int(p) for p in rng.integers(0, spec[1], 2))
    y0, y1, x0, x1 = obj.band
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = texture(spec, yy, xx, phase_y, phase_x)
    context[y0:y1, x0:x1] = context_id


def write_sample(task: Tuple[str, str, int, int, int, int, float]) -> int:
    """Render and write one sample; return its number of dropped objects.

    Takes one tuple so that ``multiprocessing.Pool.imap`` can call it.
    """
    out_dir, name, seed, split_index, index, size, confounding = task
    rng = np.random.default_rng([seed, split_index, index])
    image, mask, context, dropped = render_image(rng, size, confounding)
    Image.fromarray(image).save(osp.join(out_dir, 'JPEGImages', name + '.png'))
    seg = Image.fromarray(mask)
    seg.putpalette(VOC_PALETTE)  # turns the L image into a P image
    seg.save(osp.join(out_dir, 'SegmentationClass', name + '.png'))
    Image.fromarray(context).save(
        osp.join(out_dir, 'ContextMaps', name + '.png'))
    return dropped


def measure_cooccurrence(out_dir: str, split: str) -> Dict:
    """Class/context co-occurrence read back from the written files.

    Args:
        out_dir: A folder written by :func:`generate`.
        split: ``'train'`` or ``'val'``.

    Returns:
        ``images``, ``two_object_images``; ``per_class`` with, for each
        class k, the number of images with k, how many of those show k's
        context, P(ctx_k | k present) and P(ctx_k | k absent); and
        ``instances``, ``instances_with_context`` and
        ``p_context_given_class`` over all object instances (one per class
        present, as the classes of an image are distinct).
    """
    with open(osp.join(out_dir, 'ImageSets', 'Segmentation',
                       f'{split}.txt')) as f:
        names = f.read().split()
    num = len(CLASS_NAMES)
    with_cls, with_both, ctx_without_cls = (np.zeros(num, int)
                                            for _ in range(3))
    two_objects = 0
    for name in names:
        mask = np.asarray(
            Image.open(osp.join(out_dir, 'SegmentationClass', name + '.png')))
        ctx = np.asarray(
            Image.open(osp.join(out_dir, 'ContextMaps', name + '.png')))
        present = np.isin(np.arange(1, num + 1), mask)
        shown = np.isin(np.arange(1, num + 1), ctx)
        with_cls += present
        with_both += present & shown
        ctx_without_cls += ~present & shown
        two_objects += int(present.sum() == 2)
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
        two_object_images=two_objects,
        per_class=per_class,
        instances=int(with_cls.sum()),
        instances_with_context=int(with_both.sum()),
        p_context_given_class=float(with_both.sum() / max(with_cls.sum(), 1)))


def check_args(num_train: int, num_val: int, confounding: float,
               size: int) -> Optional[str]:
    """The first problem with the arguments, or None if they are fine."""
    if not 0 <= confounding <= 1:
        return f'--confounding must be in [0, 1], got {confounding}'
    if not 64 <= size <= 512:
        return f'--size must be in [64, 512], got {size}'
    if num_train < 1 or num_val < 1:
        return ('--num-train and --num-val must be at least 1, got '
                f'{num_train} and {num_val}')
    return None


def is_previous_output(out_dir: str) -> bool:
    """Whether ``out_dir`` holds a ``meta.json`` written by this tool."""
    try:
        with open(osp.join(out_dir, 'meta.json')) as f:
            return json.load(f).get('generator') == GENERATOR
    except (OSError, ValueError, AttributeError):
        return False


def prepare_out_dir(out_dir: str, overwrite: bool) -> None:
    """Empty the generator's own entries in ``out_dir``; refuse strangers.

    Only what this tool writes is removed, so even with ``overwrite`` no
    foreign file is lost; stale samples of a larger earlier run go too.

    Raises:
        FileExistsError: ``out_dir`` is non-empty, not a previous output and
            ``overwrite`` is False.
    """
    if (osp.isdir(out_dir) and os.listdir(out_dir) and not overwrite
            and not is_previous_output(out_dir)):
        raise FileExistsError(
            f'{out_dir} is not empty and holds no meta.json of this '
            'generator; pass --overwrite (overwrite=True) to write into it')
    # meta.json goes first: an interrupted run must not look complete.
    for entry in ('meta.json', 'class_names.txt'):
        if osp.isfile(osp.join(out_dir, entry)):
            os.remove(osp.join(out_dir, entry))
    for sub in ('JPEGImages', 'SegmentationClass', 'ContextMaps',
                'ImageSets'):
        shutil.rmtree(osp.join(out_dir, sub), ignore_errors=True)
    for sub in ('JPEGImages', 'SegmentationClass', 'ContextMaps',
                'ImageSets/Segmentation'):
        os.makedirs(osp.join(out_dir, sub))


def generate(out_dir: str,
             num_train: int,
             num_val: int,
             seed: int,
             confounding: float,
             size: int = 112,
             workers: int = 0,
             overwrite: bool = False) -> Dict:
    """Write the benchmark into ``out_dir`` and return its meta information.

    Args:
        out_dir: Output folder; created if missing.
        num_train: Number of training images.
        num_val: Number of validation images.
        seed: Seed of every image's random stream.
        confounding: P(a band shows its class's context texture).
        size: Image side in pixels.
        workers: Processes rendering images; 0 renders in this process.
            The files do not depend on it. More than 0 needs the module to
            be importable by name in the workers (true when run as a script).
        overwrite: Write into a non-empty folder that is not a previous
            output of this generator.

    Returns:
        The content of ``meta.json``.

    Raises:
        ValueError: An argument is out of range.
        FileExistsError: See :func:`prepare_out_dir`.
    """
    problem = check_args(num_train, num_val, confounding, size)
    if problem:
        raise ValueError(problem)
    prepare_out_dir(out_dir, overwrite)
    dropped = {}
    for split_index, (split, count) in enumerate(
            zip(SPLITS, (num_train, num_val))):
        names = [f'{split}_{i:06d}' for i in range(count)]
        tasks = [(out_dir, name, seed, split_index, index, size, confounding)
                 for index, name in enumerate(names)]
        if workers > 0:
            with multiprocessing.Pool(workers) as pool:
                dropped[split] = sum(pool.imap(write_sample, tasks, 16))
        else:
            dropped[split] = sum(map(write_sample, tasks))
        with open(osp.join(out_dir, 'ImageSets', 'Segmentation',
                           f'{split}.txt'), 'w') as f:
            f.write(''.join(name + '\n' for name in names))
    with open(osp.join(out_dir, 'class_names.txt'), 'w') as f:
        f.write('\n'.join(('background', ) + CLASS_NAMES) + '\n')
    meta = dict(
        generator=GENERATOR,
        format_version=FORMAT_VERSION,
        args=dict(num_train=num_train, num_val=num_val, seed=seed,
                  confounding=confounding, size=size),
        classes=['background', *CLASS_NAMES],
        context_ids=dict(none=0, neutral=NEUTRAL_ID,
                         **{n: k + 1 for k, n in enumerate(CLASS_NAMES)}),
        dropped_objects=dropped,
        measured={s: measure_cooccurrence(out_dir, s) for s in SPLITS})
    with open(osp.join(out_dir, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')
    return meta


def parse_args() -> argparse.Namespace:
    """Command-line arguments, range-checked."""
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
        '--workers', type=int, default=0,
        help='rendering processes; 0 renders in this one (same files)')
    parser.add_argument(
        '--overwrite', action='store_true',
        help='write into a non-empty OUT that is not a previous output')
    args = parser.parse_args()
    problem = check_args(args.num_train, args.num_val, args.confounding,
                         args.size)
    if problem:
        parser.error(problem)
    if args.workers < 0:
        parser.error(f'--workers must be at least 0, got {args.workers}')
    return args


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    try:
        meta = generate(args.out, args.num_train, args.num_val, args.seed,
                        args.confounding, args.size, args.workers,
                        args.overwrite)
    except FileExistsError as error:
        raise SystemExit(str(error))
    print(f'wrote {args.out} in {time.perf_counter() - start:.1f} s '
          f'(confounding {args.confounding}, seed {args.seed})')
    for split in SPLITS:
        stats = meta['measured'][split]
        rates = ', '.join(f'{n} {v["p_context_given_class"]:.2f}'
                          for n, v in stats['per_class'].items())
        absent = max(v['p_context_given_absent']
                     for v in stats['per_class'].values())
        print(f'{split}: {stats["images"]} images, {stats["instances"]} '
              f'objects, P(ctx|class) {stats["p_context_given_class"]:.3f} '
              f'({rates}), max P(ctx|absent) {absent:.3f}, dropped objects '
              f'{meta["dropped_objects"][split]}')


if __name__ == '__main__':
    main()
