"""Upstream mmseg's own tools/train.py trains our segmentation stage config,
finding mmconta's types through the config's custom_imports."""
import shutil
import subprocess
import sys
from pathlib import Path

import mmseg

from mmconta.datasets.synthetic import generate

REPO = Path(__file__).parents[2]
MMSEG_TRAIN = Path(mmseg.__file__).parent / '.mim/tools/train.py'
SEG_SHAPES = 'deeplab-aspp_r18-w16_1xb16-10e_shapes-96x96.py'


def test_mmseg_train_py_runs_the_seg_stage(tmp_path):
    data = tmp_path / 'data'
    generate(str(data), num_train=8, num_val=4)
    # Ground-truth masks stand in for a round's pseudo-masks.
    shutil.copytree(data / 'SegmentationClass', tmp_path / 'pseudo')
    work = tmp_path / 'work'
    options = {
        'train_dataloader.dataset.dataset.data_root': data,
        'train_dataloader.dataset.pseudo_dir': tmp_path / 'pseudo',
        'val_dataloader.dataset.data_root': data,
        'test_dataloader.dataset.data_root': data,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'val_dataloader.num_workers': 0,
        'val_dataloader.persistent_workers': False,
    }
    assert MMSEG_TRAIN.is_file()
    subprocess.run([
        sys.executable, str(MMSEG_TRAIN),
        str(REPO / 'configs/seg' / SEG_SHAPES), '--work-dir', str(work),
        '--cfg-options', *(f'{k}={v}' for k, v in options.items())
    ], check=True, capture_output=True, cwd=tmp_path)
    assert (work / 'epoch_1.pth').is_file()
    logs = list(work.glob('*/*.log'))
    assert logs and 'mIoU' in logs[0].read_text()
