"""The CONTA round loop end to end on a tiny synthetic set, through
tools/train.py: every stage's files and the summary, and 1 vs 2 processes.
Faults and resume: tests/reliability/test_round_loop_faults.py."""
import os
import shutil
import socket
import subprocess

import numpy as np
import pytest
import torch
from mmengine.config import Config
from round_loop import PYTHON, REPO, bank, pngs, summary, train, write_config

from mmconta.engine import ContaRoundRunner
from mmconta.engine.runners.conta_round_runner import (REFINE_STAGES, STAGES,
                                                       summary_table)

# The CAM method has no refinement stages.
CAM_STAGES = [s for s in STAGES if s not in REFINE_STAGES]
SUMMARY_KEYS = ('round', 'seed_miou', 'seed_best_thr', 'context_share',
                'mask_miou', 'seg_val_miou', 'seg_train_miou')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def finished(tmp_path_factory, shapes_root):
    """An uninterrupted 2-round run."""
    tmp = tmp_path_factory.mktemp('finished')
    cfg = write_config(tmp / 'conta.py', shapes_root, rounds=2)
    train(cfg, tmp / 'work')
    return cfg, tmp / 'work'


def test_every_round_and_stage_leaves_its_files(finished, shapes_root):
    _, work = finished
    ids = (shapes_root /
           'ImageSets/Segmentation/train.txt').read_text().split()
    for t in range(2):
        round_dir = work / f'round_{t}'
        for stage in CAM_STAGES:
            assert (round_dir / stage / 'DONE').is_file()
        for stage in REFINE_STAGES:
            assert not (round_dir / stage).exists()
        assert sorted(p.stem for p in (round_dir / 'cam').glob('*.npz')) \
            == sorted(ids)
        assert sorted(pngs(round_dir / 'pseudo')) == sorted(
            f'{i}.png' for i in ids)
        assert sorted(pngs(round_dir / 'seg_train')) == sorted(
            f'{i}.png' for i in ids)
        arrays = bank(work, t)
        assert arrays['confounders'].shape == (6, 32, 32)
        np.testing.assert_allclose(arrays['prior'], 1 / 6)
        assert 0 <= arrays['confounders'].min()
        assert arrays['confounders'].max() <= 1

    # Round 1's classifier is CONTA's, on round 0's bank.
    ckpt = torch.load(
        (work / 'round_1/cls/last_checkpoint').read_text().strip(),
        weights_only=True)
    np.testing.assert_array_equal(
        ckpt['state_dict']['head.confounders'].numpy(),
        bank(work, 0)['confounders'])
    assert 'head.query.weight' in ckpt['state_dict']

    rows = summary(work)
    assert [r['round'] for r in rows] == [0, 1]
    for row in rows:
        assert set(row) == set(SUMMARY_KEYS) | {'seed_best_miou'}
        for key in ('seed_miou', 'mask_miou', 'seg_val_miou'):
            assert 0 <= row[key] <= 100
    assert summary_table(rows).count('\n') == 3


def test_two_processes_give_the_files_of_one(finished, tmp_path):
    """CAMs, pseudo-masks and the bank from the same trained models."""
    cfg_path, reference = finished
    cfg = Config.fromfile(cfg_path)
    cfg.rounds = 1
    cfg.dump(tmp_path / 'conta.py')
    work = tmp_path / 'work'
    # Keep round 0's trained models; redo its CAM and prediction stages.
    shutil.copytree(reference / 'round_0/cls', work / 'round_0/cls')
    shutil.copytree(reference / 'round_0/seg', work / 'round_0/seg')
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT=str(free_port()),
               PYTHON=PYTHON)
    subprocess.run([
        'bash', str(REPO / 'tools/dist_train.sh'), str(tmp_path / 'conta.py'),
        '2', '--work-dir', str(work)
    ], check=True, env=env, cwd=REPO, capture_output=True)

    assert pngs(work / 'round_0/pseudo') == pngs(reference / 'round_0/pseudo')
    assert pngs(work / 'round_0/seg_train') == pngs(
        reference / 'round_0/seg_train')
    two, one = bank(work, 0), bank(reference, 0)
    np.testing.assert_allclose(two['confounders'], one['confounders'],
                               atol=1e-5, rtol=0)
    np.testing.assert_array_equal(two['counts'], one['counts'])
    assert summary(work)[0] == pytest.approx(summary(reference)[0])


def test_command_line_cfg_options_add_to_the_configs_own(tmp_path):
    """cam_voc.py points the CAM stage at train_aug with dotted keys; a
    nested --cfg-options on the same loader must not undo that."""
    cfg = Config.fromfile(REPO / 'configs/conta/irn_voc.py')
    cfg.merge_from_dict({
        'work_dir': str(tmp_path),
        'cls.cfg_options.test_dataloader.dataset.indices': 8
    })
    loader = ContaRoundRunner.from_cfg(
        cfg).stage_cfgs['cls'].test_dataloader
    assert loader.dataset.ann_file == 'ImageSets/Segmentation/train_aug.txt'
    assert loader.dataset.data_prefix.seg_map_path == 'SegmentationClassAug'
    assert loader.dataset.indices == 8
