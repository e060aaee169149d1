"""The CONTA round loop end to end on a tiny synthetic set, through
tools/train.py: every stage's files, the summary, stage-level resume after a
SIGKILL, and 1 vs 2 processes."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmconta.engine.runners.conta_round_runner import (STAGES, SUMMARY_KEYS,
                                                       summary_table)

REPO = Path(__file__).parents[2]
PYTHON = sys.executable
# One epoch per training stage, no worker processes: each stage takes
# seconds on the CPU.
SMALL = {
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'val_dataloader.num_workers': 0,
    'val_dataloader.persistent_workers': False,
    'test_dataloader.num_workers': 0,
    'test_dataloader.persistent_workers': False,
    'train_cfg.max_epochs': 1,
    'train_cfg.val_interval': 1,
}


def write_config(path: Path, data_root: Path, rounds: int) -> Path:
    text = f"""_base_ = [{str(REPO / 'configs/conta/cam_shapes.py')!r}]
data_root = {str(data_root)!r}
rounds = {rounds}
cls = dict(cfg_options={dict(SMALL, **{'test_cfg.num_vis': 2})!r})
seg = dict(cfg_options={SMALL!r})
"""
    path.write_text(text)
    return path


def train(cfg: Path, work_dir: Path, background: bool = False):
    """tools/train.py on ``cfg``; in the background, the process."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    cmd = [PYTHON, str(REPO / 'tools/train.py'), str(cfg), '--work-dir',
           str(work_dir)]
    if background:
        return subprocess.Popen(cmd, env=env, cwd=REPO,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('shapes') / 'data'
    subprocess.run([
        PYTHON, str(REPO / 'tools/dataset_converters/make_confounded_shapes.py'),
        str(root), '--num-train', '12', '--num-val', '4', '--seed', '0'
    ], check=True, capture_output=True)
    return root


@pytest.fixture(scope='module')
def finished(tmp_path_factory, data_root):
    """An uninterrupted 2-round run."""
    tmp = tmp_path_factory.mktemp('finished')
    cfg = write_config(tmp / 'conta.py', data_root, rounds=2)
    train(cfg, tmp / 'work')
    return cfg, tmp / 'work'


def stage_mtimes(work: Path) -> dict:
    return {p: p.stat().st_mtime_ns for p in work.rglob('DONE')}


def pngs(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.glob('*.png'))}


def test_every_round_and_stage_leaves_its_files(finished, data_root):
    _, work = finished
    ids = (data_root / 'ImageSets/Segmentation/train.txt').read_text().split()
    for t in range(2):
        round_dir = work / f'round_{t}'
        for stage in STAGES:
            assert (round_dir / stage / 'DONE').is_file()
        assert sorted(p.stem for p in (round_dir / 'cam').glob('*.npz')) \
            == sorted(ids)
        assert sorted(pngs(round_dir / 'pseudo')) == sorted(
            f'{i}.png' for i in ids)
        assert sorted(pngs(round_dir / 'seg_train')) == sorted(
            f'{i}.png' for i in ids)
        with np.load(round_dir / 'bank/confounder_bank.npz') as bank:
            assert bank['confounders'].shape == (6, 32, 32)
            np.testing.assert_allclose(bank['prior'], 1 / 6)
            assert bank['confounders'].min() >= 0
            assert bank['confounders'].max() <= 1

    # Round 1's classifier is CONTA's, on round 0's bank.
    ckpt = torch.load(
        (work / 'round_1/cls/last_checkpoint').read_text().strip(),
        weights_only=True)
    with np.load(work / 'round_0/bank/confounder_bank.npz') as bank:
        np.testing.assert_array_equal(
            ckpt['state_dict']['head.confounders'].numpy(),
            bank['confounders'])
    assert 'head.query.weight' in ckpt['state_dict']

    rows = json.loads((work / 'summary.json').read_text())
    assert [r['round'] for r in rows] == [0, 1]
    for row in rows:
        assert set(SUMMARY_KEYS) <= set(row)
        for key in ('seed_miou', 'mask_miou', 'seg_val_miou'):
            assert 0 <= row[key] <= 100
    assert summary_table(rows).count('\n') == 3


def test_a_killed_loop_resumes_at_its_stage(finished, data_root, tmp_path):
    _, reference = finished
    cfg = write_config(tmp_path / 'conta.py', data_root, rounds=2)
    work = tmp_path / 'work'
    process = train(cfg, work, background=True)
    # Kill it inside round 1's CAM stage, once some CAM files exist.
    cam_dir = work / 'round_1/cam'
    deadline = time.time() + 600
    while not list(cam_dir.glob('*.npz')):
        assert process.poll() is None, 'the loop ended before the kill'
        assert time.time() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (cam_dir / 'DONE').exists()
    before = stage_mtimes(work)
    kept = {p.name for p in cam_dir.glob('*.npz')}

    train(cfg, work)
    # Finished stages were not rerun; the CAM files written before the kill
    # were kept.
    assert {p: p.stat().st_mtime_ns for p in before} == before
    log = (cam_dir / 'DONE').read_text()
    assert json.loads(log)['metrics']
    assert kept <= {p.name for p in cam_dir.glob('*.npz')}
    # Training is deterministic on the CPU, so the whole loop matches.
    assert json.loads((work / 'summary.json').read_text()) == json.loads(
        (reference / 'summary.json').read_text())
    for t in range(2):
        assert pngs(work / f'round_{t}/pseudo') == pngs(
            reference / f'round_{t}/pseudo')


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
    with np.load(work / 'round_0/bank/confounder_bank.npz') as two, \
            np.load(reference / 'round_0/bank/confounder_bank.npz') as one:
        np.testing.assert_allclose(two['confounders'], one['confounders'],
                                   atol=1e-5, rtol=0)
        np.testing.assert_array_equal(two['counts'], one['counts'])
    row_two = json.loads((work / 'summary.json').read_text())[0]
    row_one = json.loads((reference / 'summary.json').read_text())[0]
    assert row_two == pytest.approx(row_one)
