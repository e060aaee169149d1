"""CAMs to seeds and pseudo-masks, and the dense CRF."""
import numpy as np
import pytest
import torch

from mmconta.models.utils import (cam_argmax, cam_to_pseudo_mask, cam_to_seed,
                                  dense_crf_labels)

# Two classes (keys 2 and 5, mask ids 3 and 6) along a row of five pixels.
CAMS = np.array([[[0.9, 0.5, 0.2, 0.1, 0.0]], [[0.1, 0.6, 0.25, 0.1, 0.0]]],
                np.float32)
KEYS = np.array([2, 5])


def test_seed_is_the_argmax_over_background_and_cams():
    np.testing.assert_array_equal(
        cam_to_seed(CAMS, KEYS, 0.15), [[3, 6, 6, 0, 0]])
    np.testing.assert_array_equal(
        cam_to_seed(CAMS, KEYS, 0.55), [[3, 6, 0, 0, 0]])
    # Torch inputs give the same; int64 ids.
    seed = cam_to_seed(torch.from_numpy(CAMS), torch.tensor([2, 5]), 0.15)
    assert seed.dtype == np.int64
    np.testing.assert_array_equal(seed, [[3, 6, 6, 0, 0]])


def test_a_tie_with_the_background_goes_to_the_background():
    # IRN pads with the threshold in the CAMs' dtype; argmax takes the first.
    cams = np.full((1, 1, 2), 0.15, np.float32)
    cams[0, 0, 1] = np.nextafter(np.float32(0.15), np.float32(1))
    np.testing.assert_array_equal(cam_to_seed(cams, [0], 0.15), [[0, 1]])


def test_keys_need_not_be_sorted():
    np.testing.assert_array_equal(
        cam_to_seed(CAMS[::-1], KEYS[::-1], 0.15), [[3, 6, 6, 0, 0]])
    peak, best = cam_argmax(CAMS, KEYS)
    np.testing.assert_allclose(peak, [[0.9, 0.6, 0.25, 0.1, 0.0]])
    np.testing.assert_array_equal(best, [[3, 6, 6, 3, 3]])


def test_no_labelled_class_is_all_background():
    seed = cam_to_seed(np.zeros((0, 2, 3), np.float32), np.zeros(0), 0.15)
    assert seed.shape == (2, 3) and seed.dtype == np.int64
    assert not seed.any()
    mask = cam_to_pseudo_mask(
        np.zeros((0, 2, 3)), [], 0.15, ignore_band=(0.05, 0.3),
        image=np.zeros((2, 3, 3), np.uint8), crf={})
    assert mask.dtype == np.uint8 and not mask.any()


def test_ignore_band_follows_irn():
    mask = cam_to_pseudo_mask(CAMS, KEYS, 0.15, ignore_band=(0.05, 0.55))
    # fg_conf at 0.55: [3, 6, 0, 0, 0]; bg_conf at 0.05: [3, 6, 6, 3, 0].
    np.testing.assert_array_equal(mask, [[3, 6, 255, 255, 0]])
    assert mask.dtype == np.uint8
    # Without a band: the seed at bg_thr.
    np.testing.assert_array_equal(
        cam_to_pseudo_mask(CAMS, KEYS, 0.15), [[3, 6, 6, 0, 0]])


@pytest.mark.parametrize('kwargs, match', [
    (dict(ignore_band=(0.5, 0.1)), 'ignore_band'),
    (dict(crf={}), 'crf needs the image'),
])
def test_bad_pseudo_mask_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cam_to_pseudo_mask(CAMS, KEYS, 0.15, **kwargs)


@pytest.mark.parametrize('cams, keys, match', [
    (CAMS[0], KEYS, r'\(K_img, H, W\)'),
    (CAMS, np.array([2]), 'keys must be'),
    (CAMS, np.array([2, 2]), 'distinct'),
    (CAMS, np.array([-1, 2]), 'distinct'),
])
def test_bad_cams_or_keys(cams, keys, match):
    with pytest.raises(ValueError, match=match):
        cam_to_seed(cams, keys, 0.15)


def _edge_case(offset: int = 4):
    """An image with a colour edge at column 20, a CAM edge further right."""
    rng = np.random.default_rng(0)
    image = np.zeros((40, 40, 3), np.uint8)
    image[:, 20:] = 255
    cams = np.zeros((1, 40, 40), np.float32)
    cams[0, :, 20 + offset:] = 1
    # Noise: a few flipped pixels on both sides of the CAM edge.
    cams[0][rng.random((40, 40)) < 0.05] = 0.5
    cams[0][(rng.random((40, 40)) < 0.05)] = 0.0
    return image, cams


def test_crf_snaps_a_boundary_to_the_image_edge():
    pytest.importorskip('pydensecrf', reason='pip install pydensecrf2')
    image, cams = _edge_case()
    image.flags.writeable = False  # as np.asarray(PIL.Image) gives
    seed = cam_to_seed(cams, [0], 0.3)
    # The seed misses four columns of the object and is noisy.
    assert (seed[:, 20:24] == 0).mean() > 0.9
    assert (seed[:, :20] == 1).any() and (seed[:, 24:] == 0).any()
    mask = cam_to_pseudo_mask(cams, [0], 0.3, image=image, crf={})
    assert set(np.unique(mask)) <= {0, 1}
    assert (mask[:, 20:] == 1).mean() > 0.97
    assert (mask[:, :20] == 0).mean() > 0.97
    # With the band, both seeds are refined before the ignore rule.
    banded = cam_to_pseudo_mask(cams, [0], 0.3, ignore_band=(0.05, 0.3),
                                image=image, crf={})
    assert set(np.unique(banded)) <= {0, 1, 255}
    assert (banded[:, 20:] == 1).mean() > 0.97


def test_dense_crf_labels_cleans_noise_and_checks_inputs():
    pytest.importorskip('pydensecrf', reason='pip install pydensecrf2')
    image, cams = _edge_case(offset=0)
    # 10% of the labels flipped at random; the CRF restores the image's split.
    labels = np.zeros((40, 40), np.int64)
    labels[:, 20:] = 1
    flip = np.random.default_rng(1).random((40, 40)) < 0.1
    labels[flip] = 1 - labels[flip]
    refined = dense_crf_labels(image, labels, n_labels=2)
    assert refined.dtype == np.int64 and refined.shape == (40, 40)
    assert (refined[:, 20:] == 1).mean() > 0.97
    assert (refined[:, :20] == 0).mean() > 0.97
    with pytest.raises(ValueError, match=r'labels must lie in \[0, 2\)'):
        dense_crf_labels(image, np.full((40, 40), 2), n_labels=2)
    with pytest.raises(ValueError, match='differ in size'):
        dense_crf_labels(image[:30], labels, n_labels=2)
    with pytest.raises(ValueError, match='n_labels=1'):
        dense_crf_labels(image, np.zeros((40, 40), np.int64), n_labels=1)
    with pytest.raises(ValueError, match='integer map'):
        dense_crf_labels(image, labels.astype(np.float32), n_labels=2)
