"""The CAM file format: one image's CAMs in ``<cam_dir>/<img_id>.npz``.

``CAMGenerationLoop`` writes these files and reads them back when it
resumes; ``LoadCAM`` reads them for the refiners. Both go through this
module, so a file is written and checked the same way everywhere. Arrays
(see ``docs/contracts.md``):

- ``keys``: int64 (K_img,), the image's foreground class indices (key k is
  ``classes[k + 1]``).
- ``cam``: float32 (K_img, ceil(H/4), ceil(W/4)), the stride-4 CAM.
- ``high_res``: float32 (K_img, H, W), the full-resolution CAM; optional
  (``save_high_res=False``), in which case :func:`upsample_cam` of ``cam``
  stands for it.
- ``classes``: str (num_classes,), the dataset's class names, background
  first, so files of another class list are refused.
"""
import math
import os.path as osp
from typing import NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from .atomic_write import write_atomic

CAM_FILE_SUFFIX = '.npz'
# Downsampling of ``cam`` relative to the image (ceil division).
CAM_STRIDE = 4
REQUIRED_ARRAYS = ('keys', 'cam', 'classes')
OPTIONAL_ARRAYS = ('high_res', )


class CAMFile(NamedTuple):
    """The checked content of a CAM file.

    Attributes:
        keys (np.ndarray): (K_img,) int64 foreground class indices.
        cam (np.ndarray): (K_img, ceil(H/4), ceil(W/4)) float32.
        high_res (np.ndarray, optional): (K_img, H, W) float32, or None.
        classes (tuple[str]): The dataset's class names.
    """
    keys: np.ndarray
    cam: np.ndarray
    high_res: Optional[np.ndarray]
    classes: Tuple[str, ...]


def cam_file_path(cam_dir: str, img_id: str) -> str:
    """Where the CAM file of ``img_id`` goes in ``cam_dir``."""
    return osp.join(cam_dir, img_id + CAM_FILE_SUFFIX)


def upsample_cam(cam: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """A stride-4 CAM (K_img, h, w) upsampled bilinearly to ``size``.

    What stands for ``high_res`` in a file written without it.
    """
    return F.interpolate(
        cam[None], size, mode='bilinear', align_corners=False)[0]


def save_cam_file(path: str,
                  keys: np.ndarray,
                  cam: np.ndarray,
                  classes: Sequence[str],
                  high_res: Optional[np.ndarray] = None) -> None:
    """Check and write one image's CAMs, atomically (see :func:`write_atomic`).

    Args:
        path (str): The ``.npz`` file (:func:`cam_file_path`).
        keys (np.ndarray): (K_img,) foreground class indices.
        cam (np.ndarray): (K_img, ceil(H/4), ceil(W/4)) stride-4 CAM.
        classes (Sequence[str]): The dataset's class names.
        high_res (np.ndarray, optional): (K_img, H, W) full-resolution CAM;
            None to leave it out. Defaults to None.
    """
    arrays = dict(
        keys=np.asarray(keys).astype(np.int64),
        cam=np.asarray(cam).astype(np.float32),
        classes=np.asarray(classes, dtype=str))
    if high_res is not None:
        arrays['high_res'] = np.asarray(high_res).astype(np.float32)
    # Refuse to write what a reader would refuse to read.
    _check_arrays(path, arrays)
    write_atomic(path, lambda f: np.savez(f, **arrays))


def load_cam_file(path: str,
                  expected_classes: Optional[Sequence[str]] = None,
                  expected_keys: Optional[np.ndarray] = None,
                  image_size: Optional[Tuple[int, int]] = None,
                  require_high_res: bool = False) -> CAMFile:
    """Read and check one image's CAM file.

    Every refusal is a ``ValueError`` naming the file (a missing file is
    numpy's ``FileNotFoundError``): an unreadable archive, a missing array,
    a wrong dtype or number of dimensions, keys that are not distinct
    foreground indices of ``classes``, CAMs whose class count or sizes
    disagree with each other, and any of the expectations given.

    Args:
        path (str): The ``.npz`` file.
        expected_classes (Sequence[str], optional): The dataset's class
            names, to refuse a file of another run's class list.
            Defaults to None (not checked).
        expected_keys (np.ndarray, optional): The image's labelled
            foreground classes. Defaults to None (not checked).
        image_size (tuple[int, int], optional): (H, W) of the image the
            CAMs must fit. Defaults to None (not checked).
        require_high_res (bool): Refuse a file without ``high_res``.
            Defaults to False.

    Returns:
        CAMFile: The arrays, ``keys`` as int64 and the CAMs as float32.
    """
    try:
        with np.load(path) as data:
            arrays = {
                name: data[name]
                for name in data.files
                if name in REQUIRED_ARRAYS + OPTIONAL_ARRAYS
            }
            names = sorted(data.files)
    except FileNotFoundError:
        raise
    except Exception as e:  # numpy raises several types on bad archives
        raise ValueError(f'{path} is not a readable CAM file '
                         f'({type(e).__name__}: {e}); delete it to '
                         'recompute it') from e
    missing = [name for name in REQUIRED_ARRAYS if name not in arrays]
    if missing:
        raise ValueError(f'{path} lacks {missing} (it holds {names}): not a '
                         'CAM file of CAMGenerationLoop')
    if require_high_res and 'high_res' not in arrays:
        raise ValueError(f'{path} has no high_res (written with '
                         'save_high_res=False); delete it to recompute')
    cam_file = _check_arrays(path, arrays)

    if expected_classes is not None and \
            cam_file.classes != tuple(expected_classes):
        raise ValueError(
            f'{path} was made for classes {list(cam_file.classes)}, not the '
            f'dataset\'s {list(expected_classes)}: use another cam_dir')
    if expected_keys is not None and \
            not np.array_equal(cam_file.keys, expected_keys):
        raise ValueError(
            f'{path} holds keys {cam_file.keys.tolist()} but its image is '
            f'labelled {np.asarray(expected_keys).tolist()}: CAMs of another '
            'dataset or label set, or the labels changed; delete the file to '
            'recompute it')
    if image_size is not None:
        height, width = image_size
        num = len(cam_file.keys)
        expected = dict(
            cam=(num, math.ceil(height / CAM_STRIDE),
                 math.ceil(width / CAM_STRIDE)),
            high_res=(num, height, width))
        for name in ('high_res', 'cam'):
            array = getattr(cam_file, name)
            if array is not None and array.shape != expected[name]:
                raise ValueError(
                    f'{path}: {name} of shape {array.shape} does not fit '
                    f'image of size {(height, width)} with {num} classes '
                    f'(expected {expected[name]}): load CAMs before any '
                    'resize or crop, from the run of this image')
    return cam_file


def _check_arrays(path: str, arrays: dict) -> CAMFile:
    """The format's own rules, independent of any image or dataset."""
    keys, cam, classes = arrays['keys'], arrays['cam'], arrays['classes']
    high_res = arrays.get('high_res')
    if keys.ndim != 1 or not np.issubdtype(keys.dtype, np.integer):
        raise ValueError(f'{path}: keys must be 1-D integers, got '
                         f'{keys.dtype} of shape {keys.shape}')
    if classes.ndim != 1 or classes.dtype.kind != 'U':
        raise ValueError(f'{path}: classes must be 1-D strings, got '
                         f'{classes.dtype} of shape {classes.shape}')
    num_fg = len(classes) - 1
    if len(keys) and (keys.min() < 0 or keys.max() >= num_fg
                      or len(np.unique(keys)) < len(keys)):
        raise ValueError(
            f'{path}: keys {keys.tolist()} are not distinct foreground class '
            f'indices in [0, {num_fg}) of classes {classes.tolist()}')
    for name, array in (('cam', cam), ('high_res', high_res)):
        if array is None:
            continue
        if array.ndim != 3 or not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f'{path}: {name} must be floats (K_img, H, W), '
                             f'got {array.dtype} of shape {array.shape}')
        if len(array) != len(keys):
            raise ValueError(f'{path}: {name} has {len(array)} class maps '
                             f'for {len(keys)} keys')
    if high_res is not None:
        strided = tuple(
            math.ceil(s / CAM_STRIDE) for s in high_res.shape[1:])
        if cam.shape[1:] != strided:
            raise ValueError(
                f'{path}: cam of size {cam.shape[1:]} is not the stride-'
                f'{CAM_STRIDE} size {strided} of high_res '
                f'{high_res.shape[1:]}')
    return CAMFile(
        keys=keys.astype(np.int64),
        cam=cam.astype(np.float32, copy=False),
        high_res=None if high_res is None else high_res.astype(
            np.float32, copy=False),
        classes=tuple(classes.tolist()))
