"""Dense CRF over label maps (Krähenbühl and Koltun, 2011)."""
import numpy as np


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
    """Refine a label map with a dense CRF; defaults are IRN's.

    IRN ``misc/imutils.py::crf_inference_label``: unary from the labels with
    confidence ``gt_prob``, Gaussian (sxy 3, compat 3) and bilateral (sxy 50,
    srgb 5, compat 10) pairwise terms, 10 iterations.

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB.
        labels (np.ndarray): (H, W) ints in [0, n_labels).
        n_labels (int): Number of labels.

    Returns:
        np.ndarray: (H, W) int64 refined labels.
    """
    try:
        import pydensecrf.densecrf as dcrf
        from pydensecrf.utils import unary_from_labels
    except ImportError as e:
        raise ImportError('dense CRF needs pydensecrf: pip install '
                          'pydensecrf2 (builds on Python 3.11)') from e
    h, w = labels.shape
    crf = dcrf.DenseCRF2D(w, h, n_labels)
    crf.setUnaryEnergy(
        unary_from_labels(labels, n_labels, gt_prob=gt_prob,
                          zero_unsure=False))
    crf.addPairwiseGaussian(sxy=gaussian_sxy, compat=gaussian_compat)
    crf.addPairwiseBilateral(
        sxy=bilateral_sxy, srgb=bilateral_srgb,
        rgbim=np.ascontiguousarray(image), compat=bilateral_compat)
    q = crf.inference(t)
    return np.argmax(np.array(q).reshape(n_labels, h, w), axis=0)
