"""tools/experiments/dry_run.py: the cut a dry run applies, and the full
schedule it extrapolates to."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).parents[2]
sys.path.insert(0, str(REPO / 'tools/experiments'))
import dry_run  # noqa: E402


def stages(name):
    return dry_run.stage_configs(
        Config.fromfile(str(REPO / f'configs/conta/{name}.py')))


def test_cut_reaches_wrapped_datasets_and_keeps_the_schedule_type():
    options = dry_run.cut_options(stages('irn_voc'), images=8, val_images=4,
                                  iters=3)
    # The refiner's and the segmentor's training sets are pseudo-label
    # wrappers: the cut goes to the VOC dataset inside.
    assert options['refine.cfg_options.train_dataloader.dataset.dataset.'
                   'indices'] == 8
    assert options['seg.cfg_options.train_dataloader.dataset.dataset.'
                   'indices'] == 8
    # Val splits keep --val-images, training splits (CAMs) --images.
    assert options['cls.cfg_options.val_dataloader.dataset.indices'] == 4
    assert options['cls.cfg_options.test_dataloader.dataset.indices'] == 8
    assert options['seg.cfg_options.test_dataloader.dataset.indices'] == 4
    # Epoch-based stages run one epoch, DeepLab's iteration-based 3.
    assert options['cls.cfg_options.train_cfg.max_epochs'] == 1
    assert options['seg.cfg_options.train_cfg.max_iters'] == 3
    assert options['seg.cfg_options.default_hooks.checkpoint.interval'] == 3
    # Nothing but sizes: no model, crop, scale or CRF key.
    assert all(k.split('.', 2)[2].startswith(
        ('train_dataloader', 'val_dataloader', 'test_dataloader',
         'train_cfg', 'default_hooks.checkpoint')) for k in options)


def test_full_schedule_of_voc_and_coco():
    voc = dry_run.full_schedule(stages('irn_voc'), 'voc', nprocs=2)
    # train_aug, 4 images a batch, 5 epochs; IRN's 8 a batch, 3 epochs.
    assert voc['cls'] == dict(iterations=-(-10582 // 8) * 5)
    assert voc['refiner'] == dict(iterations=-(-10582 // 16) * 3)
    assert voc['seg'] == dict(iterations=20000)
    assert voc['cam'] == voc['refine'] == voc['seg_train'] == dict(
        images=5291)
    coco = dry_run.full_schedule(stages('cam_coco'), 'coco', nprocs=1)
    assert coco['cam'] == dict(images=82081)
    assert 'refiner' not in coco


@pytest.mark.slow
def test_smallest_flagship_loop_runs_two_rounds_end_to_end(tmp_path):
    """cam_voc.py at its real sizes (ResNet-50 CAMs at 512, four scales and
    flips, DeepLab-v2 R101) on a VOC-scale stand-in, cut to 2 images: every
    stage of both rounds leaves a record with its costs. Minutes on a CPU:
    ``pytest -m slow``."""
    data = tmp_path / 'voc'
    subprocess.run(
        [sys.executable, 'tools/dataset_converters/make_confounded_shapes.py',
         str(data), '--layout', 'voc', '--num-train', '4', '--num-val', '2',
         '--min-side', '300', '--max-side', '340'],
        cwd=REPO, check=True, capture_output=True)
    subprocess.run(
        [sys.executable, 'tools/experiments/dry_run.py',
         'configs/conta/cam_voc.py', '--data-root', str(data), '--nprocs',
         '1', '--images', '2', '--val-images', '1', '--iters', '1',
         '--work-dir', str(tmp_path / 'dry')],
        cwd=REPO, check=True, capture_output=True)
    [result] = json.loads(
        (tmp_path / 'dry/cam_voc/results.json').read_text())
    stages = [(row['round'], row['stage']) for row in result['rows']]
    assert stages == [(t, s) for t in (0, 1)
                      for s in ('cls', 'cam', 'seg', 'seg_train')]
    for row in result['rows']:
        assert row['seconds_per_item'] > 0 and row['peak_rss_mb'] > 0
        assert row['full_hours'] > 0
