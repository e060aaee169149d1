"""SEAM and IRN in the CONTA round loop on a tiny synthetic set: the
refinement stages' files, the summary, and 1 vs 2 processes."""
import os
import shutil
import socket
import subprocess

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image
from round_loop import (PYTHON, REPO, done, pngs, summary, train,
                        write_config)

from mmconta.engine.runners.conta_round_runner import STAGES

ROUNDS = {'seam': 2, 'irn': 1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module', params=sorted(ROUNDS))
def finished(request, tmp_path_factory, shapes_root):
    """An uninterrupted run: SEAM 2 rounds (CONTA on SEAM), IRN 1 round."""
    method = request.param
    tmp = tmp_path_factory.mktemp(method)
    cfg = write_config(tmp / 'conta.py', shapes_root, ROUNDS[method],
                       method=method)
    train(cfg, tmp / 'work')
    return method, cfg, tmp / 'work'


def test_refinement_stages_leave_their_files(finished, shapes_root):
    method, _, work = finished
    ids = sorted((shapes_root /
                  'ImageSets/Segmentation/train.txt').read_text().split())
    pngs_of = sorted(f'{i}.png' for i in ids)
    for t in range(ROUNDS[method]):
        round_dir = work / f'round_{t}'
        for stage in STAGES:
            assert (round_dir / stage / 'DONE').is_file(), stage
        # The cam stage wrote the refiner's labels, with an unsure band.
        labels = pngs(round_dir / 'cam_labels')
        assert sorted(labels) == pngs_of
        label_values = np.unique(np.concatenate([
            np.asarray(Image.open(round_dir / 'cam_labels' / name)).ravel()
            for name in labels]))
        assert 255 in label_values
        # The refiner started from the round's classifier.
        logs = list((round_dir / 'refiner').rglob('*.log'))
        assert any(str(round_dir / 'cls') in p.read_text() for p in logs)
        # The random walk labels every pixel of every training image.
        assert sorted(pngs(round_dir / 'pseudo')) == pngs_of
        for name in pngs_of:
            mask = np.asarray(Image.open(round_dir / 'pseudo' / name))
            gt = np.asarray(
                Image.open(shapes_root / 'SegmentationClass' / name))
            assert mask.shape == gt.shape
            assert mask.max() < 7
        record = done(work, t, 'refine')
        assert record['written'] + record['kept'] == len(ids)
    for row in summary(work):
        for key in ('seed_miou', 'label_miou', 'mask_miou', 'seg_val_miou'):
            assert 0 <= row[key] <= 100, key
        assert 0 <= row['label_ignore'] <= 100


def test_conta_adjusts_seam(finished):
    method, _, work = finished
    if method != 'seam':
        pytest.skip('SEAM runs the CONTA round')
    state = torch.load(
        (work / 'round_1/cls/last_checkpoint').read_text().strip(),
        weights_only=True)['state_dict']
    assert 'head.query.weight' in state  # ContextAdjustedCAMHead
    assert any(k.startswith('pcm.') for k in state)  # SEAM's PCM


def test_two_processes_write_the_pseudo_masks_of_one(finished, tmp_path):
    """Given round 0's trained models, the CAM labels and refined masks of
    2 processes (gloo) equal those of 1, byte for byte."""
    method, cfg_path, reference = finished
    cfg = Config.fromfile(cfg_path)
    cfg.rounds = 1
    cfg.dump(tmp_path / 'conta.py')
    work = tmp_path / 'work'
    for stage in ('cls', 'refiner', 'seg'):
        shutil.copytree(reference / f'round_0/{stage}',
                        work / f'round_0/{stage}')
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT=str(free_port()),
               PYTHON=PYTHON)
    subprocess.run([
        'bash', str(REPO / 'tools/dist_train.sh'), str(tmp_path / 'conta.py'),
        '2', '--work-dir', str(work)
    ], check=True, env=env, cwd=REPO, capture_output=True)
    for folder in ('cam_labels', 'pseudo', 'seg_train'):
        assert pngs(work / f'round_0/{folder}') == pngs(
            reference / f'round_0/{folder}'), folder
    assert summary(work)[0] == pytest.approx(summary(reference)[0])
