"""PseudoMaskWriter: the CAM loop's pseudo-masks, written once."""
import numpy as np
import pytest
from PIL import Image

from mmconta.engine import PseudoMaskWriter
from mmconta.models.utils import cam_to_pseudo_mask

PALETTE = [[0, 0, 0], [10, 20, 30], [40, 50, 60]]


def test_config_keys_are_checked(tmp_path):
    with pytest.raises(ValueError, match=r"unknown keys \['bg_threshold'\]"):
        PseudoMaskWriter.from_config(dict(bg_threshold=0.2), str(tmp_path))
    with pytest.raises(ValueError, match='needs bg_thr'):
        PseudoMaskWriter.from_config(dict(crf={}), str(tmp_path))
    writer = PseudoMaskWriter.from_config(
        dict(bg_thr=0.2, out_dir=None), str(tmp_path / 'pseudo'))
    assert writer.mask_path('img') == str(tmp_path / 'pseudo/img.png')


def test_writes_the_mask_then_reads_it_back(tmp_path):
    writer = PseudoMaskWriter(str(tmp_path), bg_thr=0.3,
                              ignore_band=(0.1, 0.5), palette=PALETTE)
    cams = np.random.default_rng(0).random((2, 6, 7), np.float32)
    keys, image = np.array([0, 1]), np.zeros((6, 7, 3), np.uint8)
    mask = writer.write('img', cams, keys, image)
    np.testing.assert_array_equal(
        mask, cam_to_pseudo_mask(cams, keys, 0.3, ignore_band=(0.1, 0.5)))
    with Image.open(tmp_path / 'img.png') as png:
        assert png.mode == 'P' and png.getpalette()[3:6] == PALETTE[1]
    # A resumed run keeps the file it finds, whatever the CAMs now say.
    again = writer.write('img', np.zeros_like(cams), keys, image)
    np.testing.assert_array_equal(again, mask)
