"""Dense CRF refinement of label maps.

Krähenbühl and Koltun, "Efficient Inference in Fully Connected CRFs with
Gaussian Edge Potentials", NeurIPS 2011 (https://arxiv.org/abs/1210.5644),
through ``pydensecrf`` (installed as ``pydensecrf2``).
"""
import numpy as np


def require_pydensecrf():
    """``pydensecrf.densecrf`` and ``pydensecrf.utils``, or an ImportError
    that says what to install; callers check early, before hours of
    training reach the first CRF."""
    try:
        import pydensecrf.densecrf as dcrf
        import pydensecrf.utils as crf_utils
    except ImportError as e:
        raise ImportError(
            'the dense CRF needs pydensecrf: pip install pydensecrf2 (or '
            'MMCONTA_CRF=1 bash tools/setup_env.sh; it imports as '
            'pydensecrf; the original pydensecrf 1.0rc3 does not build with '
            'current Cython)') from e
    return dcrf, crf_utils


def dense_crf_labels(image: np.ndarray,
                     labels: np.ndarray,
                     n_labels: int,
                     t: int = 10,
                     gt_prob: float = 0.7,
                     gaussian_sxy: float = 3,
                     gaussian_compat: float = 3,
                     bilateral_sxy: float = 50,
                     bilateral_srgb: float = 5,
                     bilateral_compat: float = 10) -> np.ndarray:
    """Refine a label map with a dense CRF.

    The defaults are IRN's ``misc/imutils.py::crf_inference_label``
    (jiwoon-ahn/irn), which makes its relation labels: unary from the labels,
    each pixel's label taken as right with probability ``gt_prob`` = 0.7
    (``unary_from_labels(..., zero_unsure=False)``), a Gaussian term (sxy 3,
    compat 3), a bilateral term (sxy 50, srgb 5, compat 10), 10 mean-field
    iterations.

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB image.
        labels (np.ndarray): (H, W) integer label map, values in
            [0, n_labels).
        n_labels (int): Number of labels, at least 2 (a label may be absent
            from the map).
        t (int): Mean-field iterations. Defaults to 10.
        gt_prob (float): Confidence of a given label, in (0, 1).
            Defaults to 0.7.
        gaussian_sxy (float): Gaussian term's spatial std. Defaults to 3.
        gaussian_compat (float): Gaussian term's weight. Defaults to 3.
        bilateral_sxy (float): Bilateral term's spatial std. Defaults to 50.
        bilateral_srgb (float): Bilateral term's colour std. Defaults to 5.
        bilateral_compat (float): Bilateral term's weight. Defaults to 10.

    Returns:
        np.ndarray: (H, W) int64 refined labels in [0, n_labels).
    """
    dcrf, crf_utils = require_pydensecrf()

    image, labels = np.asarray(image), np.asarray(labels)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError('dense_crf_labels: image must be (H, W, 3), got '
                         f'shape {image.shape}')
    if labels.ndim != 2 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError('dense_crf_labels: labels must be an (H, W) integer '
                         f'map, got shape {labels.shape} dtype {labels.dtype}')
    if image.shape[:2] != labels.shape:
        raise ValueError(f'dense_crf_labels: image {image.shape[:2]} and '
                         f'labels {labels.shape} differ in size')
    # unary_from_labels divides by n_labels - 1.
    if n_labels < 2:
        raise ValueError('dense_crf_labels: needs at least 2 labels, got '
                         f'n_labels={n_labels}')
    if labels.size and (labels.min() < 0 or labels.max() >= n_labels):
        raise ValueError(
            f'dense_crf_labels: labels must lie in [0, {n_labels}), got '
            f'[{labels.min()}, {labels.max()}]')
    if not 0 < gt_prob < 1:
        raise ValueError('dense_crf_labels: gt_prob must be in (0, 1), got '
                         f'{gt_prob}')

    height, width = labels.shape
    unary = crf_utils.unary_from_labels(
        labels, n_labels, gt_prob=gt_prob, zero_unsure=False)
    # pydensecrf takes writable C-contiguous buffers only; an image read
    # with np.asarray(PIL.Image) is read-only (IRN copies it too).
    rgb = np.array(image, dtype=np.uint8, order='C', copy=True)
    crf = dcrf.DenseCRF2D(width, height, n_labels)
    crf.setUnaryEnergy(np.ascontiguousarray(unary))
    crf.addPairwiseGaussian(sxy=gaussian_sxy, compat=gaussian_compat)
    crf.addPairwiseBilateral(
        sxy=bilateral_sxy, srgb=bilateral_srgb, rgbim=rgb,
        compat=bilateral_compat)
    q = np.asarray(crf.inference(t)).reshape(n_labels, height, width)
    return q.argmax(0).astype(np.int64)
