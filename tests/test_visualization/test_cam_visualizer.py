"""CAMVisualizer writes a row of panels as a PNG and returns it."""
import uuid

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from PIL import Image

from mmconta.registry import VISUALIZERS

CLASSES = ('background', 'a', 'b', 'c')


def build(tmp_path):
    init_default_scope('mmconta')
    # Visualizers are global instances by name: a fresh name per test.
    return VISUALIZERS.build(
        dict(type='CAMVisualizer', name=uuid.uuid4().hex,
             vis_backends=[dict(type='LocalVisBackend')],
             save_dir=str(tmp_path)))


def test_cam_row_is_written(tmp_path):
    visualizer = build(tmp_path)
    image = np.full((40, 30, 3), 128, np.uint8)
    cams = np.random.default_rng(0).random((2, 40, 30)).astype(np.float32)
    mask = np.zeros((40, 30), np.uint8)
    mask[30:] = 255
    mask[20:30] = 3
    row = visualizer.add_cam_sample(
        'img_0', image, torch.from_numpy(cams), torch.tensor([0, 2]),
        CLASSES, pseudo_mask=mask, gt_mask=np.ones((40, 30), np.uint8),
        step=3)
    # image | CAM a | CAM c | pseudo-mask | GT
    assert row.shape == (40, 30 * 5, 3) and row.dtype == np.uint8
    files = list(tmp_path.rglob('img_0_3.png'))
    assert len(files) == 1 and files[0].parent.name == 'vis_image'
    np.testing.assert_array_equal(np.asarray(Image.open(files[0])), row)
    pseudo = row[:, 90:120]
    # Ignore is white over grey (0.4 * 128 + 0.6 * 255).
    assert (pseudo[35, 25] == 204).all()
    # VOC colour of class 3 (128, 128, 0) blended over grey.
    np.testing.assert_array_equal(pseudo[25, 25], [128, 128, 51])


def test_dataset_palette_is_used_for_its_classes(tmp_path):
    visualizer = build(tmp_path)
    visualizer.dataset_meta = dict(
        classes=CLASSES, palette=[[0, 0, 0], [0, 0, 255], [0, 255, 0],
                                  [255, 0, 0]])
    image = np.zeros((8, 40, 3), np.uint8)
    row = visualizer.add_cam_sample(
        'img_1', image, np.zeros((0, 8, 40)), [], CLASSES,
        gt_mask=np.full((8, 40), 1, np.uint8))
    assert row.shape == (8, 80, 3)
    np.testing.assert_array_equal(row[7, 79], [0, 0, 153])


def test_mismatched_cams_are_refused(tmp_path):
    visualizer = build(tmp_path)
    with pytest.raises(ValueError, match='K_img = 1 keys'):
        visualizer.add_cam_sample('img_2', np.zeros((4, 4, 3), np.uint8),
                                  np.zeros((2, 4, 4)), [0], CLASSES)
