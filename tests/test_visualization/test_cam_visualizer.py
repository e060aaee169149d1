"""CAMVisualizer writes a row of panels as a PNG."""
import numpy as np
from mmengine.registry import init_default_scope
from PIL import Image

from mmconta.registry import VISUALIZERS


def test_cam_row_is_written(tmp_path):
    init_default_scope('mmconta')
    visualizer = VISUALIZERS.build(
        dict(type='CAMVisualizer', name='test_cam_vis',
             vis_backends=[dict(type='LocalVisBackend')],
             save_dir=str(tmp_path)))
    image = np.full((20, 30, 3), 128, np.uint8)
    cams = np.random.default_rng(0).random((2, 20, 30)).astype(np.float32)
    mask = np.zeros((20, 30), np.uint8)
    mask[:5] = 255
    row = visualizer.add_cam_sample(
        'img_0', image, cams, [0, 2], ('background', 'a', 'b', 'c'),
        pseudo_mask=mask, gt_mask=np.ones((20, 30), np.uint8))
    assert row.shape == (20, 30 * 5, 3)
    files = list(tmp_path.rglob('img_0_0.png'))
    assert len(files) == 1
    assert np.asarray(Image.open(files[0])).shape == (20, 150, 3)
