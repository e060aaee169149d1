"""From CAMs to seeds and pseudo-masks, as IRN thresholds them.

IRN (Ahn et al., CVPR 2019, https://arxiv.org/abs/1904.05044; code
jiwoon-ahn/irn): ``step/eval_cam.py`` makes seeds, ``step/cam_to_ir_label.py``
makes its relation labels with an ignore band and a dense CRF.
"""
from typing import Optional, Tuple, Union

import numpy as np
import torch

from .dense_crf import dense_crf_labels

ArrayLike = Union[np.ndarray, torch.Tensor]


def _as_numpy(x: ArrayLike) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _check(cams: ArrayLike, keys: ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
    cams, keys = _as_numpy(cams), _as_numpy(keys)
    if cams.ndim != 3:
        raise ValueError(f'cams must be (K_img, H, W), got shape {cams.shape}')
    if keys.ndim != 1 or len(keys) != len(cams):
        raise ValueError(f'keys must be ({len(cams)},) for cams of shape '
                         f'{cams.shape}, got shape {keys.shape}')
    if len(keys) and (keys.min() < 0 or len(np.unique(keys)) < len(keys)):
        raise ValueError('keys must be distinct foreground class indices '
                         f'>= 0, got {keys.tolist()}')
    if not np.issubdtype(cams.dtype, np.floating):
        cams = cams.astype(np.float32)
    return cams, keys.astype(np.int64)


def cam_argmax(cams: ArrayLike,
               keys: ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
    """Each pixel's strongest CAM value and its class's mask id.

    A pixel's seed at background threshold t is ``best`` where ``peak > t``,
    else 0: :func:`cam_to_seed` and ``SeedMetric``'s threshold sweep both
    build on this, so they agree pixel for pixel.

    Args:
        cams (np.ndarray | Tensor): (K_img, H, W) max-normalised CAMs.
        keys (np.ndarray | Tensor): (K_img,) foreground class indices.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``peak`` (H, W) in the CAMs' float
        dtype (-inf where K_img = 0) and ``best`` (H, W) int64 mask ids
        (key + 1; 0 where K_img = 0).
    """
    cams, keys = _check(cams, keys)
    if not len(keys):
        return (np.full(cams.shape[1:], -np.inf, cams.dtype),
                np.zeros(cams.shape[1:], np.int64))
    index = cams.argmax(0)
    peak = np.take_along_axis(cams, index[None], 0)[0]
    return peak, keys[index] + 1


def cam_to_seed(cams: ArrayLike, keys: ArrayLike,
                bg_thr: float) -> np.ndarray:
    """Seed labels: the argmax over ``[bg_thr, cams...]``.

    As IRN pads the CAMs with a constant background plane and takes the
    argmax, a tie goes to the background, and the threshold is compared in
    the CAMs' own float dtype (``np.pad`` casts it).

    Args:
        cams (np.ndarray | Tensor): (K_img, H, W) max-normalised CAMs.
        keys (np.ndarray | Tensor): (K_img,) foreground class indices.
        bg_thr (float): Value of the background plane.

    Returns:
        np.ndarray: (H, W) int64 mask ids: 0 = background, key k -> k + 1.
        All background when K_img = 0.
    """
    peak, best = cam_argmax(cams, keys)
    return np.where(peak > peak.dtype.type(bg_thr), best, 0)


def cam_to_pseudo_mask(cams: ArrayLike,
                       keys: ArrayLike,
                       bg_thr: float,
                       ignore_band: Optional[Tuple[float, float]] = None,
                       image: Optional[np.ndarray] = None,
                       crf: Optional[dict] = None) -> np.ndarray:
    """Pseudo-mask of one image, 255 = ignore.

    Without ``ignore_band`` it is the seed at ``bg_thr``. With
    ``ignore_band=(low, high)`` it follows IRN's ``step/cam_to_ir_label.py``
    (``conf_fg_thres`` = 0.30, ``conf_bg_thres`` = 0.05 there): confident
    foreground ``fg_conf`` = the seed at ``high``, confident background
    ``bg_conf`` = the seed at ``low``; the mask is ``fg_conf``, except that
    pixels background in ``fg_conf`` but foreground in ``bg_conf`` become 255.
    ``bg_thr`` is then unused.

    With ``crf``, each seed is first refined by :func:`dense_crf_labels`
    over its K_img + 1 labels (background and the image's classes), as
    IRN's ``step/cam_to_ir_label.py`` refines both of its seeds with
    ``misc/imutils.py::crf_inference_label``; ``crf={}`` uses IRN's
    parameters (gt_prob 0.7, Gaussian sxy 3 compat 3, bilateral sxy 50
    srgb 5 compat 10, 10 iterations). An image without labelled classes
    stays all background (one label: nothing for a CRF to choose).

    Args:
        cams (np.ndarray | Tensor): (K_img, H, W) max-normalised CAMs.
        keys (np.ndarray | Tensor): (K_img,) foreground class indices.
        bg_thr (float): Background threshold when there is no band.
        ignore_band (tuple[float, float], optional): (low, high) background
            thresholds of the ignore band. Defaults to None.
        image (np.ndarray, optional): (H, W, 3) uint8 RGB image; required
            with ``crf``. Defaults to None.
        crf (dict, optional): Keyword arguments of :func:`dense_crf_labels`
            (``t``, ``gt_prob``, ``gaussian_*``, ``bilateral_*``); None
            skips the CRF. Defaults to None.

    Returns:
        np.ndarray: (H, W) uint8 mask ids, 255 = ignore.
    """
    cams, keys = _check(cams, keys)
    if crf is not None and image is None:
        raise ValueError('cam_to_pseudo_mask: crf needs the image')
    ids = np.concatenate([[0], keys + 1])
    if ids.max() > 254:
        raise ValueError(f'cam_to_pseudo_mask: mask id {ids.max()} does not '
                         'fit a uint8 mask with 255 = ignore')

    def seed(thr: float) -> np.ndarray:
        labels = cam_to_seed(cams, keys, thr)
        if crf is None or not len(keys):
            return labels
        # The CRF works on compact labels 0..K_img, IRN's argmax indices.
        to_compact = np.zeros(ids.max() + 1, np.int64)
        to_compact[ids] = np.arange(len(ids))
        return ids[dense_crf_labels(image, to_compact[labels], len(ids),
                                    **crf)]

    if ignore_band is None:
        return seed(bg_thr).astype(np.uint8)
    if len(ignore_band) != 2 or not ignore_band[0] <= ignore_band[1]:
        raise ValueError('cam_to_pseudo_mask: ignore_band must be '
                         f'(low, high) with low <= high, got {ignore_band}')
    low, high = ignore_band
    fg_conf, bg_conf = seed(high), seed(low)
    mask = fg_conf.astype(np.uint8)
    mask[(fg_conf == 0) & (bg_conf != 0)] = 255
    return mask
