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
* Co-occurring classes (``--cooccurrence Q``), independent of the texture
  confounding: two primaries have a companion class (``COMPANIONS``: ring
  with cross, circle with diamond, like a rider with a horse). With
  probability Q an image is *coupled*: it holds one unit drawn uniformly
  from square, triangle, (cross, ring) and (diamond, circle); a pair is
  placed side by side at the same height, the companion's mask
  overlapping its primary's by a few pixels (the primary drawn on top),
  each with its own context band. Otherwise the image is drawn as above.
  Four units holding each class once give every class the rate 1/4 of an
  uncoupled image (1.5 of 6 classes), so P(companion) does not depend on
  Q, while P(companion | primary) = Q + (1 - Q) 2/15 and companions
  appear without their primary in uncoupled images only. Q = 0 is the
  control: a companion joins its primary only as any class joins another
  (classes of an image are distinct, so P(companion | primary) = 2/15 <
  1/4) and never touches it. The coupling is decided by a stream of its
  own (``[seed, s, i, 1]``, see below), so an uncoupled image is
  byte-identical to the same image at Q = 0.
* The objects of one image, bands included, do not overlap (but for the
  two of a pair): rejection
  sampling, and after a bounded number of tries the whole layout is drawn
  again smaller (never below a radius of 7.5 px, so an object keeps at least
  ~100 visible pixels). A second object that still does not fit is dropped;
  ``meta.json`` counts such drops.
* ``--difficulty hard`` (default ``easy`` is all of the above) keeps the
  classes, colours, context bands, confounding and co-occurrence, and
  makes the images harder: 2-4 objects of classes drawn with repetition
  (a coupled image: 1-3 units, so a class still averages 0.5 instances);
  radius 0.1-0.22 S; centres anywhere in the image, so objects are cut
  off at the border (a companion's centre stays inside too); objects of
  different units may overlap, the later on top, with centres at least
  0.6 (r + r') apart so that none is hidden whole; 4-8 background patches
  (rectangles and ellipses, flat muted colours or neutral textures,
  labelled background); per-image contrast (0.7-1.3), brightness (+-30)
  and channel gains (+-15%); Gaussian blur (sigma 0-1.2); sensor noise
  (sigma 2-10); JPEG at quality 75-90; and a 255 (ignore) band on every
  object boundary, one pixel on each side. About 13% of the pixels are
  foreground (easy: about 7%); ``meta.json`` records the measured share.
  Occlusion and cut-off hide some bands, so the measured P(ctx | class)
  lies below P.
* Determinism: image i of split s draws only from
  ``numpy.random.default_rng([seed, s, i])`` (s = 0 train, 1 val), so the
  same arguments give byte-identical files, with or without ``--workers``,
  and train and val use different streams.

Layout under OUT (generic PASCAL VOC, read by ``FolderWSSSDataset``):
``JPEGImages/<id>.png`` (RGB; ``.jpg`` in hard mode, see ``img_suffix``
in ``meta.json``), ``SegmentationClass/<id>.png`` (palette PNG, ids 0..K;
in hard mode also 255 on boundaries), ``ContextMaps/<id>.png`` (mode L: 0
none, k = class k's context, K+1 = neutral; object pixels are 0),
``ImageSets/Segmentation/{train,val}.txt``, ``class_names.txt``
(background first) and ``meta.json`` (arguments, class names, companions,
image suffix, and the class/context and companion co-occurrence and the
foreground share measured on the written files), written last so
that its presence marks a complete dataset.

Example (the command is a thin wrapper of :func:`main`)::

    python tools/dataset_converters/make_confounded_shapes.py \\
        data/confounded_shapes --num-train 300 --num-val 100 --seed 0 \\
        --confounding 0.9 --cooccurrence 0.9

or, the same files, from Python::

    from mmconta.datasets.synthetic import generate
    generate('data/confounded_shapes', num_train=300, num_val=100, seed=0,
             confounding=0.9, cooccurrence=0.9)
"""
import argparse
import inspect
import json
import multiprocessing
import os
import os.path as osp
import shutil
import time
from typing import Dict, List, NamedTuple, Optional, Tuple

import numpy as np
from PIL import Image, ImageFilter

from mmconta.utils import voc_palette

# meta.json's ``generator``, by which a folder is recognised as an earlier
# output: the command's path, kept from before the generator moved here.
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

# Co-occurring classes, primary -> companion (like a rider with a horse):
# with probability --cooccurrence an image is coupled, and in a coupled
# image each primary has its companion touching it (see draw_units).
COMPANIONS = {'cross': 'ring', 'diamond': 'circle'}
COMPANION_IDS = {
    CLASS_NAMES.index(p): CLASS_NAMES.index(c)
    for p, c in COMPANIONS.items()
}
# A coupled image's unit: a class on its own or a (primary, companion)
# pair. Four units hold each class once, so drawing one unit per image
# gives every class the rate 1/4 of an uncoupled image (1.5 of 6 classes).
COUPLED_UNITS = tuple(
    (k, ) for k in range(len(CLASS_NAMES))
    if k not in COMPANION_IDS and k not in COMPANION_IDS.values()) + tuple(
        COMPANION_IDS.items())
# The coupling decision has its own random stream (key appended to the
# image's), so an image that is not coupled is byte-identical to the same
# image at --cooccurrence 0, and the coupled images at Q are a subset of
# those at any larger Q.
COUPLING_STREAM = 1
TOUCH_OVERLAP = 0.1  # a companion overlaps its primary by this x (r + r')

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

# --difficulty hard (see the module docstring). Ranges are inclusive.
DIFFICULTIES = ('easy', 'hard')
HARD_NUM_OBJECTS = (2, 4)  # classes of an uncoupled image, may repeat
# Units of a coupled image: a mean of 2 of the 4 units gives every class
# the mean instance count of an uncoupled image (3 of 6 classes).
HARD_NUM_UNITS = (1, 3)
HARD_RADIUS_RANGE = (0.1, 0.22)  # object extent 0.2-0.44 of the side
MIN_CENTRE_DISTANCE = 0.6  # times r + r'; keeps occlusion partial
CLUTTER_PATCHES = (4, 8)
CLUTTER_SIZE_RANGE = (0.1, 0.35)  # patch extent, fraction of the side
CLUTTER_GREY = (60, 200)  # flat patches: a muted grey ...
CLUTTER_TINT = 25  # ... with this much tint per channel
CONTRAST_RANGE = (0.7, 1.3)
BRIGHTNESS_JITTER = 30
CHANNEL_GAIN_JITTER = 0.15
BLUR_SIGMA_RANGE = (0.0, 1.2)
NOISE_SIGMA_RANGE = (2.0, 10.0)
JPEG_QUALITY_RANGE = (75, 90)
IGNORE_INDEX = 255
IGNORE_WIDTH = 1  # px on each side of an object boundary: a 2-px band


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


# PASCAL VOC's 256-colour map, flat, as ``Image.putpalette`` wants it.
VOC_PALETTE = [value for rgb in voc_palette(256) for value in rgb]


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


def sample_size(rng: np.random.Generator, size: int, scale: float,
                hard: bool) -> Tuple[float, float, float]:
    """Random radius and context band width and height of one object."""
    radius_range = HARD_RADIUS_RANGE if hard else RADIUS_RANGE
    r = max(rng.uniform(*radius_range) * size * scale, MIN_RADIUS)
    band_w = rng.uniform(*BAND_WIDTH_RANGE) * 2 * r
    band_h = rng.uniform(*BAND_HEIGHT_RANGE) * 2 * r
    return r, band_w, band_h


def make_placement(cls: int, cy: float, cx: float, r: float, band_w: float,
                   band_h: float, size: int) -> Placement:
    """The placement of an object at (cy, cx), its band clipped to the image.

    A band wholly outside (hard mode) is clipped to an empty one.
    """
    top = min(size, int(round(cy + band_offset(cls, r))))
    left = min(size, max(0, int(round(cx - band_w / 2))))
    band = (top, max(top, min(size, top + int(round(band_h)))), left,
            max(left, min(size, int(round(cx + band_w / 2)))))
    return Placement(cls, cy, cx, r, band)


def band_offset(cls: int, r: float) -> float:
    """Distance from the centre of an object down to the top of its band."""
    return (shape_bottom(cls) - SINK) * r


def sample_placement(rng: np.random.Generator, cls: int, size: int,
                     scale: float) -> Placement:
    """Random radius, band shape and position for one object.

    The object lies wholly inside the image and its band wholly inside
    vertically, so every object shows all of its pixels and a context.
    """
    r, band_w, band_h = sample_size(rng, size, scale, hard=False)
    below = band_offset(cls, r)
    cx = rng.uniform(r, size - r)
    cy = rng.uniform(r, max(r, size - below - band_h))
    return make_placement(cls, cy, cx, r, band_w, band_h, size)


def sample_loose_placement(rng: np.random.Generator, cls: int, size: int,
                           scale: float) -> Placement:
    """A hard-mode placement: the centre anywhere in the image.

    So up to half of an object (and all of its band) may lie outside.
    """
    r, band_w, band_h = sample_size(rng, size, scale, hard=True)
    cy, cx = rng.uniform(0, size, 2)
    return make_placement(cls, cy, cx, r, band_w, band_h, size)


def sample_companion(rng: np.random.Generator, primary: Placement,
                     cls: int, size: int, scale: float,
                     hard: bool) -> Optional[Placement]:
    """A companion of class ``cls`` beside ``primary``, their masks touching.

    The companion sits left or right of the primary at the same height,
    its centre ``(1 - TOUCH_OVERLAP) * (r_primary + r_companion)`` away, so
    the two shapes overlap by a few pixels on the line through their
    centres (every shape reaches its radius there). None if the companion
    or its band would leave the image (easy) or if its centre would (hard,
    so that at least a quarter of it shows).
    """
    r, band_w, band_h = sample_size(rng, size, scale, hard)
    side = 1 if rng.random() < 0.5 else -1
    cx = primary.cx + side * (1 - TOUCH_OVERLAP) * (primary.r + r)
    cy = primary.cy
    placement = make_placement(cls, cy, cx, r, band_w, band_h, size)
    band_bottom = placement.band[0] + int(round(band_h))
    if hard:
        inside = 0 <= cx <= size
    else:
        inside = r <= cx <= size - r and cy >= r and band_bottom <= size
    return placement if inside else None


def sample_unit(rng: np.random.Generator, unit: Tuple[int, ...], size: int,
                scale: float, hard: bool) -> Optional[List[Placement]]:
    """Placements of a unit: one object, or a primary with its companion.

    A pair is returned companion first, so that the primary is drawn on
    top where the two overlap. None if the companion found no room.
    """
    sample = sample_loose_placement if hard else sample_placement
    first = sample(rng, unit[0], size, scale)
    if len(unit) == 1:
        return [first]
    companion = sample_companion(rng, first, unit[1], size, scale, hard)
    return None if companion is None else [companion, first]


def apart(a: Placement, b: Placement) -> bool:
    """Whether two footprints keep ``GAP`` pixels between them."""
    ay0, ay1, ax0, ax1 = a.footprint()
    by0, by1, bx0, bx1 = b.footprint()
    return (ay1 + GAP <= by0 or by1 + GAP <= ay0 or ax1 + GAP <= bx0
            or bx1 + GAP <= ax0)


def partly_visible(a: Placement, b: Placement) -> bool:
    """Whether two hard-mode objects are far enough apart that the one
    drawn later hides only part of the other."""
    distance = np.hypot(a.cy - b.cy, a.cx - b.cx)
    return bool(distance >= MIN_CENTRE_DISTANCE * (a.r + b.r))


def place_units(rng: np.random.Generator,
                units: List[Tuple[int, ...]],
                size: int,
                hard: bool = False) -> List[Placement]:
    """Placements of ``units``, in drawing order; may drop a late one.

    Each layout round places the units in turn with a bounded number of
    tries each; a round that fails starts over with smaller objects, so a
    large first object cannot crowd the second one out for good. The two
    objects of a pair touch each other; objects of different units keep
    apart (easy) or may overlap in part (hard, see
    :func:`partly_visible`).
    """
    compatible = partly_visible if hard else apart
    placed: List[List[Placement]] = []
    for round_index in range(LAYOUT_ROUNDS):
        scale = 0.85**round_index
        placed = []
        for unit in units:
            for _ in range(TRIES_PER_OBJECT):
                candidate = sample_unit(rng, unit, size, scale, hard)
                if candidate is not None and all(
                        compatible(new, old) for new in candidate
                        for other in placed for old in other):
                    placed.append(candidate)
                    break
            else:
                break  # this unit found no room: next round, smaller
        if len(placed) == len(units):
            break
    return [obj for unit in placed for obj in unit]


def draw_units(rng: np.random.Generator, coupled: bool,
               hard: bool) -> List[Tuple[int, ...]]:
    """The classes of one image, as units placed together.

    Easy: an uncoupled image holds 1 or 2 (2 with probability 0.5) distinct
    classes drawn uniformly, each a unit of its own; a coupled image holds
    one unit drawn uniformly from ``COUPLED_UNITS``: every class then
    appears in a quarter of the images, as in an uncoupled one. Hard: 2-4
    classes, or 1-3 coupled units, drawn uniformly with repetition, which
    gives every class a mean of 0.5 instances per image either way.
    """
    if hard:
        low, high = HARD_NUM_UNITS if coupled else HARD_NUM_OBJECTS
        count = int(rng.integers(low, high + 1))
        if coupled:
            return [COUPLED_UNITS[i]
                    for i in rng.integers(len(COUPLED_UNITS), size=count)]
        return [(int(c), ) for c in rng.integers(len(CLASS_NAMES),
                                                 size=count)]
    if coupled:
        return [COUPLED_UNITS[rng.integers(len(COUPLED_UNITS))]]
    num_objects = 2 if rng.random() < 0.5 else 1
    return [(int(c), ) for c in rng.choice(len(CLASS_NAMES), num_objects,
                                            replace=False)]


def render_image(rng: np.random.Generator,
                 size: int,
                 confounding: float,
                 coupled: bool = False,
                 hard: bool = False
                 ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Draw one sample.

    Args:
        rng: The image's own random generator.
        size: Image side in pixels.
        confounding: Probability that a band shows its class's texture.
        coupled: Draw the image's classes as a coupled image (see
            :func:`draw_units`).
        hard: Draw it in hard mode (see the module docstring).

    Returns:
        The RGB image (uint8), the class mask, the context map, and how
        many drawn objects found no room and were dropped.
    """
    units = draw_units(rng, coupled, hard)
    num_objects = sum(len(unit) for unit in units)
    objects = place_units(rng, units, size, hard)
    image = smooth_background(rng, size)
    if hard:
        draw_clutter(rng, image)
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
    if hard:
        image = degrade(rng, image)
        mask = with_ignore_band(mask)
    else:
        image += rng.normal(0, PIXEL_NOISE, image.shape)
        image = to_uint8(image)
    return image, mask, context, num_objects - len(objects)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Round and clip a float image to uint8."""
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def draw_clutter(rng: np.random.Generator, image: np.ndarray) -> None:
    """Paint hard mode's background patches into ``image``, in place.

    Rectangles and ellipses, flat muted colours or neutral textures: busy
    like objects and contexts, yet tied to no class (labelled background).
    """
    size = image.shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    low, high = CLUTTER_PATCHES
    for _ in range(int(rng.integers(low, high + 1))):
        half_h, half_w = rng.uniform(*CLUTTER_SIZE_RANGE, 2) * size / 2
        cy, cx = rng.uniform(0, size, 2)
        if rng.random() < 0.5:
            region = (np.abs(yy - cy) <= half_h) & (np.abs(xx - cx) <= half_w)
        else:
            region = ((yy - cy) / half_h)**2 + ((xx - cx) / half_w)**2 <= 1
        if rng.random() < 0.5:
            spec = NEUTRAL_TEXTURES[rng.integers(len(NEUTRAL_TEXTURES))]
            phase_y, phase_x = (int(p) for p in rng.integers(0, spec[1], 2))
            image[region] = texture(spec, yy, xx, phase_y, phase_x)[region]
        else:
            image[region] = rng.uniform(*CLUTTER_GREY) + rng.uniform(
                -CLUTTER_TINT, CLUTTER_TINT, 3)


def degrade(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Hard mode's camera: photometric jitter, blur and sensor noise.

    Args:
        rng: The image's random generator.
        image: The float RGB image as drawn.

    Returns:
        The degraded image, uint8.
    """
    contrast = rng.uniform(*CONTRAST_RANGE)
    brightness = rng.uniform(-BRIGHTNESS_JITTER, BRIGHTNESS_JITTER)
    gain = rng.uniform(1 - CHANNEL_GAIN_JITTER, 1 + CHANNEL_GAIN_JITTER, 3)
    image = ((image - 128) * contrast + 128 + brightness) * gain
    blurred = Image.fromarray(to_uint8(image)).filter(
        ImageFilter.GaussianBlur(rng.uniform(*BLUR_SIGMA_RANGE)))
    noisy = np.asarray(blurred, np.float32) + rng.normal(
        0, rng.uniform(*NOISE_SIGMA_RANGE), image.shape)
    return to_uint8(noisy)


def with_ignore_band(mask: np.ndarray) -> np.ndarray:
    """``mask`` with ``IGNORE_INDEX`` on every object boundary.

    A pixel is ignored when a pixel within ``IGNORE_WIDTH`` (chessboard
    distance) has another label, so the band lies on both sides of the
    boundary, as in PASCAL VOC's annotations.
    """
    height, width = mask.shape
    padded = np.pad(mask, IGNORE_WIDTH, mode='edge')
    boundary = np.zeros(mask.shape, bool)
    for dy in range(2 * IGNORE_WIDTH + 1):
        for dx in range(2 * IGNORE_WIDTH + 1):
            boundary |= padded[dy:dy + height, dx:dx + width] != mask
    return np.where(boundary, np.uint8(IGNORE_INDEX), mask)


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


def write_sample(task: Tuple[str, str, int, int, int, int, float, float,
                             str]) -> int:
    """Render and write one sample; return its number of dropped objects.

    Takes one tuple so that ``multiprocessing.Pool.imap`` can call it.
    """
    (out_dir, name, seed, split_index, index, size, confounding,
     cooccurrence, difficulty) = task
    hard = difficulty == 'hard'
    rng = np.random.default_rng([seed, split_index, index])
    # Drawn only when asked for, so --cooccurrence 0 draws what it always
    # drew.
    coupled = cooccurrence > 0 and np.random.default_rng(
        [seed, split_index, index, COUPLING_STREAM]).random() < cooccurrence
    image, mask, context, dropped = render_image(rng, size, confounding,
                                                 coupled, hard)
    image_path = osp.join(out_dir, 'JPEGImages', name + image_suffix(hard))
    if hard:
        low, high = JPEG_QUALITY_RANGE
        Image.fromarray(image).save(
            image_path, quality=int(rng.integers(low, high + 1)))
    else:
        Image.fromarray(image).save(image_path)
    seg = Image.fromarray(mask)
    seg.putpalette(VOC_PALETTE)  # turns the L image into a P image
    seg.save(osp.join(out_dir, 'SegmentationClass', name + '.png'))
    Image.fromarray(context).save(
        osp.join(out_dir, 'ContextMaps', name + '.png'))
    return dropped


def image_suffix(hard: bool) -> str:
    """File suffix of the images: lossless PNG (easy) or JPEG (hard)."""
    return '.jpg' if hard else '.png'


def touches(mask: np.ndarray, a: int, b: int, reach: int = 1) -> bool:
    """Whether a pixel of class ``a`` lies within ``reach`` px of class ``b``.

    Distance in the chessboard metric, on the mask as written (the object
    drawn last hides the other where they overlap).
    """
    near_b = np.zeros(mask.shape, bool)
    ys, xs = np.nonzero(mask == b)
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            near_b[np.clip(ys + dy, 0, mask.shape[0] - 1),
                   np.clip(xs + dx, 0, mask.shape[1] - 1)] = True
    return bool(np.any(near_b & (mask == a)))


def measure_companions(out_dir: str, split: str, reach: int = 1) -> Dict:
    """How often each companion appears with and without its primary.

    Read back from the written masks.

    Args:
        out_dir: A folder written by :func:`generate`.
        split: ``'train'`` or ``'val'``.
        reach: Largest distance (px) at which two masks count as touching;
            more than 1 to see across an ignore band.

    Returns:
        For each primary (by name): ``companion`` (its name), ``images``,
        ``with_primary``, ``with_companion``, ``with_both``, ``touching``
        (images where the two masks touch), ``p_companion`` (marginal),
        ``p_companion_given_primary``, ``p_companion_given_no_primary``
        and ``touching_share`` (of the images with the primary, those whose
        companion touches it).
    """
    names = read_split(out_dir, split)
    counts = {p: np.zeros(4, int) for p in COMPANION_IDS}
    for name in names:
        mask = np.asarray(
            Image.open(osp.join(out_dir, 'SegmentationClass', name + '.png')))
        present = set(np.unique(mask).tolist())
        for primary, companion in COMPANION_IDS.items():
            has_primary = primary + 1 in present
            has_companion = companion + 1 in present
            counts[primary] += (
                has_primary, has_companion, has_primary and has_companion,
                has_primary and has_companion
                and touches(mask, companion + 1, primary + 1, reach))
    stats = {}
    for primary, companion in COMPANION_IDS.items():
        with_primary, with_companion, with_both, touching = (
            int(n) for n in counts[primary])
        without_primary = len(names) - with_primary
        stats[CLASS_NAMES[primary]] = dict(
            companion=CLASS_NAMES[companion],
            images=len(names),
            with_primary=with_primary,
            with_companion=with_companion,
            with_both=with_both,
            touching=touching,
            p_companion=with_companion / max(len(names), 1),
            p_companion_given_primary=with_both / max(with_primary, 1),
            p_companion_given_no_primary=(with_companion - with_both) /
            max(without_primary, 1),
            touching_share=touching / max(with_primary, 1))
    return stats


def measure_pixels(out_dir: str, split: str) -> Dict[str, float]:
    """Shares of foreground (class 1..K) and ignored pixels in the masks."""
    names = read_split(out_dir, split)
    foreground = ignored = total = 0
    for name in names:
        mask = np.asarray(
            Image.open(osp.join(out_dir, 'SegmentationClass', name + '.png')))
        foreground += int(np.count_nonzero((mask > 0)
                                           & (mask != IGNORE_INDEX)))
        ignored += int(np.count_nonzero(mask == IGNORE_INDEX))
        total += mask.size
    return dict(
        foreground_fraction=foreground / max(total, 1),
        ignore_fraction=ignored / max(total, 1))


def measure_split(out_dir: str, split: str, hard: bool) -> Dict:
    """Everything ``meta.json`` records as measured for ``split``: see
    :func:`measure_cooccurrence`, :func:`measure_pixels` and (under
    ``companions``) :func:`measure_companions`."""
    # Touching masks lie an ignore band apart in hard mode.
    reach = 1 + 2 * IGNORE_WIDTH if hard else 1
    return dict(
        measure_cooccurrence(out_dir, split),
        **measure_pixels(out_dir, split),
        companions=measure_companions(out_dir, split, reach))


def read_split(out_dir: str, split: str) -> List[str]:
    """The sample names of ``split``."""
    with open(osp.join(out_dir, 'ImageSets', 'Segmentation',
                       f'{split}.txt')) as f:
        return f.read().split()


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
        present: the classes of an easy image are distinct, a hard image's
        repeated class counts once).
    """
    names = read_split(out_dir, split)
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


def check_args(num_train: int,
               num_val: int,
               confounding: float,
               size: int,
               cooccurrence: float = 0.0,
               difficulty: str = 'easy') -> Optional[str]:
    """The first problem with the arguments, or None if they are fine."""
    if not 0 <= confounding <= 1:
        return f'--confounding must be in [0, 1], got {confounding}'
    if not 0 <= cooccurrence <= 1:
        return f'--cooccurrence must be in [0, 1], got {cooccurrence}'
    if difficulty not in DIFFICULTIES:
        return (f'--difficulty must be one of {DIFFICULTIES}, got '
                f'{difficulty!r}')
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
             num_train: int = 300,
             num_val: int = 100,
             seed: int = 0,
             confounding: float = 0.9,
             size: int = 112,
             workers: int = 0,
             overwrite: bool = False,
             cooccurrence: float = 0.0,
             difficulty: str = 'easy') -> Dict:
    """Write the benchmark into ``out_dir`` and return its meta information.

    The keyword arguments and their defaults are the command line's options
    (``--num-train`` is ``num_train``, ...).

    Args:
        out_dir: Output folder; created if missing.
        num_train: Number of training images.
        num_val: Number of validation images.
        seed: Seed of every image's random stream.
        confounding: P(a band shows its class's context texture).
        size: Image side in pixels.
        workers: Processes rendering images; 0 renders in this process.
            The files do not depend on it.
        overwrite: Write into a non-empty folder that is not a previous
            output of this generator.
        cooccurrence: P(an image is coupled: each primary in it has its
            companion touching it); the marginal rate of every class does
            not depend on it.
        difficulty: ``'easy'`` or ``'hard'`` (see the module docstring).

    Returns:
        The content of ``meta.json``.

    Raises:
        ValueError: An argument is out of range.
        FileExistsError: See :func:`prepare_out_dir`.
    """
    problem = check_args(num_train, num_val, confounding, size, cooccurrence,
                         difficulty)
    if problem:
        raise ValueError(problem)
    prepare_out_dir(out_dir, overwrite)
    hard = difficulty == 'hard'
    dropped = {}
    for split_index, (split, count) in enumerate(
            zip(SPLITS, (num_train, num_val))):
        names = [f'{split}_{i:06d}' for i in range(count)]
        tasks = [(out_dir, name, seed, split_index, index, size, confounding,
                  cooccurrence, difficulty)
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
                  confounding=confounding, size=size,
                  cooccurrence=cooccurrence, difficulty=difficulty),
        classes=['background', *CLASS_NAMES],
        context_ids=dict(none=0, neutral=NEUTRAL_ID,
                         **{n: k + 1 for k, n in enumerate(CLASS_NAMES)}),
        companions=COMPANIONS,
        img_suffix=image_suffix(hard),
        ignore_index=IGNORE_INDEX if hard else None,
        dropped_objects=dropped,
        measured={s: measure_split(out_dir, s, hard) for s in SPLITS})
    with open(osp.join(out_dir, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')
    return meta


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments, range-checked.

    Args:
        argv: The arguments; None reads ``sys.argv[1:]``.

    Returns:
        ``out`` and, named as :func:`generate`'s keyword arguments, the
        options.
    """
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='output folder')
    parser.add_argument('--num-train', type=int)
    parser.add_argument('--num-val', type=int)
    parser.add_argument('--seed', type=int)
    parser.add_argument(
        '--confounding', type=float,
        help='P(class-specific context | class); 0 gives the control')
    parser.add_argument(
        '--cooccurrence', type=float,
        help='P(an image is coupled: each primary in it has its companion '
        'touching it); 0 gives the control')
    parser.add_argument(
        '--difficulty', choices=DIFFICULTIES,
        help='hard: 2-4 occluding, cut-off objects of varied size, clutter, '
        'photometric jitter, blur, noise, JPEG and a 255 boundary band')
    parser.add_argument('--size', type=int, help='image side')
    parser.add_argument(
        '--workers', type=int,
        help='rendering processes; 0 renders in this one (same files)')
    parser.add_argument(
        '--overwrite', action='store_true',
        help='write into a non-empty OUT that is not a previous output')
    # One place for the defaults: generate()'s signature.
    parser.set_defaults(
        **{
            name: param.default
            for name, param in inspect.signature(generate).parameters.items()
            if param.default is not param.empty
        })
    args = parser.parse_args(argv)
    problem = check_args(args.num_train, args.num_val, args.confounding,
                         args.size, args.cooccurrence, args.difficulty)
    if problem:
        parser.error(problem)
    if args.workers < 0:
        parser.error(f'--workers must be at least 0, got {args.workers}')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    """Generate the benchmark as the command line asks and print a summary.

    Args:
        argv: The arguments; None reads ``sys.argv[1:]``.
    """
    args = parse_args(argv)
    options = dict(vars(args))
    out_dir = options.pop('out')
    start = time.perf_counter()
    try:
        meta = generate(out_dir, **options)
    except FileExistsError as error:
        raise SystemExit(str(error))
    print(f'wrote {args.out} in {time.perf_counter() - start:.1f} s '
          f'({args.difficulty}, confounding {args.confounding}, '
          f'cooccurrence {args.cooccurrence}, seed {args.seed})')
    for split in SPLITS:
        stats = meta['measured'][split]
        rates = ', '.join(f'{n} {v["p_context_given_class"]:.2f}'
                          for n, v in stats['per_class'].items())
        absent = max(v['p_context_given_absent']
                     for v in stats['per_class'].values())
        print(f'{split}: {stats["images"]} images, {stats["instances"]} '
              f'objects, P(ctx|class) {stats["p_context_given_class"]:.3f} '
              f'({rates}), max P(ctx|absent) {absent:.3f}, dropped objects '
              f'{meta["dropped_objects"][split]}, foreground '
              f'{stats["foreground_fraction"]:.3f}')
        for primary, pair in stats['companions'].items():
            print(f'  {pair["companion"]} beside {primary}: P(companion | '
                  f'primary) {pair["p_companion_given_primary"]:.3f}, P('
                  f'companion | no primary) '
                  f'{pair["p_companion_given_no_primary"]:.3f}, P(companion) '
                  f'{pair["p_companion"]:.3f}, touching '
                  f'{pair["touching_share"]:.3f}')

