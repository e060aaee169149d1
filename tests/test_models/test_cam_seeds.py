"""CAMs to seeds and pseudo-masks, and the dense CRF."""
import numpy as np
import pytest

from mmconta.models.utils import cam_to_pseudo_mask, cam_to_seed

# Two classes (keys 2 and 5) along a row of five pixels.
CAMS = np.array([[[0.9, 0.5, 0.2, 0.1, 0.0]], [[0.1, 0.6, 0.25, 0.1, 0.0]]],
                np.float32)
KEYS = np.array([2, 5])


def test_seed_is_the_argmax_over_background_and_cams():
    np.testing.assert_array_equal(
        cam_to_seed(CAMS, KEYS, 0.15), [[3, 6, 6, 0, 0]])
    np.testing.assert_array_equal(
        cam_to_seed(CAMS, KEYS, 0.55), [[3, 6, 0, 0, 0]])


def test_no_labelled_class_is_all_background():
    seed = cam_to_seed(np.zeros((0, 2, 3)), np.zeros(0), 0.15)
    assert seed.shape == (2, 3) and not seed.any()


def test_ignore_band_follows_irn():
    mask = cam_to_pseudo_mask(CAMS, KEYS, 0.15, ignore_band=(0.05, 0.55))
    # fg at 0.55: [3, 6, 0, 0, 0]; bg at 0.05: [3, 6, 6, 6, 0].
    np.testing.assert_array_equal(mask, [[3, 6, 255, 255, 0]])
    assert mask.dtype == np.uint8
    with pytest.raises(ValueError, match='ignore_band'):
        cam_to_pseudo_mask(CAMS, KEYS, 0.15, ignore_band=(0.5, 0.1))


def test_crf_snaps_a_boundary_to_the_image_edge():
    pytest.importorskip('pydensecrf')
    image = np.zeros((40, 40, 3), np.uint8)
    image[:, 20:] = 255  # the colour edge is at column 20
    cams = np.zeros((1, 40, 40), np.float32)
    cams[0, :, 24:] = 1  # the CAM starts 4 pixels too far right
    mask = cam_to_pseudo_mask(cams, [0], 0.5, image=image,
                              crf=dict(t=10))
    assert (mask[:, 21:] == 1).mean() > 0.95
    assert (mask[:, :19] == 0).mean() > 0.95
