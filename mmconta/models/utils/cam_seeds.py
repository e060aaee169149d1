"""From CAMs to seeds and pseudo-masks (IRN's thresholding)."""
from typing import Optional, Tuple, Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor]


def _numpy(x: ArrayLike) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else \
        np.asarray(x)


def cam_to_seed(cams: ArrayLike, keys: ArrayLike, bg_thr: float) -> np.ndarray:
    """Seed labels: argmax over a constant background plane and the CAMs.

    Args:
        cams (array): (K_img, H, W) max-normalised CAMs.
        keys (array): (K_img,) foreground class indices of the CAMs.
        bg_thr (float): The background plane's value.

    Returns:
        np.ndarray: (H, W) int64 mask ids, 0 = background, key k -> k + 1.
    """
    cams, keys = _numpy(cams), _numpy(keys).astype(np.int64)
    if cams.ndim != 3 or len(cams) != len(keys):
        raise ValueError(f'cams {cams.shape} and keys {keys.shape} disagree')
    ids = np.concatenate([[0], keys + 1])
    if len(keys) == 0:
        return np.zeros(cams.shape[1:], np.int64)
    best = cams.argmax(0)
    fg = cams.max(0) > bg_thr
    return np.where(fg, ids[best + 1], 0)


def cam_to_pseudo_mask(cams: ArrayLike,
                       keys: ArrayLike,
                       bg_thr: float,
                       ignore_band: Optional[Tuple[float, float]] = None,
                       image: Optional[np.ndarray] = None,
                       crf: Optional[dict] = None) -> np.ndarray:
    """Pseudo-mask of one image, 255 = ignore.

    Without ``ignore_band`` it is the seed at ``bg_thr``. With
    ``ignore_band=(low, high)`` it is IRN's rule for its relation labels
    (``step/cam_to_ir_label.py``): confident foreground is the seed at
    ``high``, confident background the seed at ``low``; pixels background
    at ``high`` but foreground at ``low`` are ignored. With ``crf`` (a dict
    of :func:`dense_crf_labels` arguments) and ``image``, each seed is
    refined by a dense CRF first, as IRN does.

    Args:
        cams (array): (K_img, H, W) max-normalised CAMs.
        keys (array): (K_img,) foreground class indices.
        bg_thr (float): Background threshold without a band.
        ignore_band (tuple[float, float], optional): (low, high).
        image (np.ndarray, optional): (H, W, 3) uint8 RGB, for the CRF.
        crf (dict, optional): CRF arguments; None skips it.

    Returns:
        np.ndarray: (H, W) uint8.
    """
    keys = _numpy(keys).astype(np.int64)

    def seed(thr: float) -> np.ndarray:
        labels = cam_to_seed(cams, keys, thr)
        if crf is None:
            return labels
        if image is None:
            raise ValueError('crf needs the image')
        from .dense_crf import dense_crf_labels
        ids = np.concatenate([[0], keys + 1])
        to_compact = np.zeros(ids.max() + 1, np.int64)
        to_compact[ids] = np.arange(len(ids))
        refined = dense_crf_labels(image, to_compact[labels], len(ids), **crf)
        return ids[refined]

    if ignore_band is None:
        return seed(bg_thr).astype(np.uint8)
    low, high = ignore_band
    if not low <= high:
        raise ValueError(f'ignore_band must be (low, high), got {ignore_band}')
    fg_conf, bg_conf = seed(high), seed(low)
    mask = fg_conf.astype(np.uint8)
    mask[(fg_conf == 0) & (bg_conf != 0)] = 255
    return mask
