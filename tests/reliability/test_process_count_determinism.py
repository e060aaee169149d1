"""One full round (training included) with 1 and with 2 gloo processes:
the same CAMs, pseudo-masks, confounder set and metrics.

Training is process-count free when the global batches are the same and
nothing couples the samples of a process: the per-process batch is halved
(DefaultSampler deals one global permutation), batch norm is replaced by
group norm (SyncBN needs a GPU), augmentation is deterministic (each
process draws its own random stream) and dropout is off. What remains is
the order of float sums in DDP's gradient all-reduce."""
import os
import socket
import subprocess

import numpy as np
import pytest
from round_loop import (PYTHON, REPO, SMALL, bank, make_shapes, pngs, summary,
                        train)

GN = dict(type='GN', num_groups=8, requires_grad=True)
# Deterministic pipelines: the image at its own size (all 112 x 112).
CLS_TRAIN = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackWSSSInputs')
]


def write_config(path, data_root, batch_size):
    cls = dict(SMALL, **{
        'train_cfg.max_epochs': 2,
        # Small steps keep the CAMs alive (a few large ones zero them all),
        # so the comparison sees real values.
        'optim_wrapper.optimizer.lr': 1e-3,
        'train_dataloader.batch_size': batch_size,
        'train_dataloader.dataset.pipeline': CLS_TRAIN,
        'model.backbone.norm_cfg': GN,
        'test_cfg.num_vis': 0,
    })
    seg = dict(SMALL, **{
        'train_cfg.max_epochs': 2,
        'optim_wrapper.optimizer.lr': 1e-3,
        'train_dataloader.batch_size': batch_size,
        'train_dataloader.dataset.pipeline': CLS_TRAIN,
        'model.backbone.norm_cfg': GN,
        'model.decode_head.norm_cfg': GN,
        'model.decode_head.dropout_ratio': 0.0,
    })
    path.write_text(
        f'_base_ = [{str(REPO / "configs/conta/cam_shapes.py")!r}]\n'
        f'data_root = {str(data_root)!r}\n'
        f'rounds = 1\n'
        f'cls = dict(cfg_options={cls!r})\n'
        f'seg = dict(cfg_options={seg!r})\n')
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def cams(work):
    out = {}
    for path in sorted((work / 'round_0/cam').glob('*.npz')):
        with np.load(path) as f:
            out[path.stem] = f['high_res']
    return out


def test_one_round_with_one_and_two_processes(tmp_path):
    data_root = make_shapes(tmp_path / 'data', num_train=16, num_val=4)
    one = tmp_path / 'one'
    train(write_config(tmp_path / 'one.py', data_root, 16), one)
    two = tmp_path / 'two'
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT=str(free_port()),
               PYTHON=PYTHON)
    subprocess.run([
        'bash', str(REPO / 'tools/dist_train.sh'),
        str(write_config(tmp_path / 'two.py', data_root, 8)), '2',
        '--work-dir', str(two)
    ], check=True, env=env, cwd=REPO, capture_output=True)

    cams_one, cams_two = cams(one), cams(two)
    assert cams_one.keys() == cams_two.keys() and len(cams_one) == 16
    # Non-trivial CAMs: a classifier whose CAMs all died would agree
    # with any other.
    assert sum(c.max() > 0 for c in cams_one.values()) >= 12
    for name in cams_one:
        np.testing.assert_allclose(cams_two[name], cams_one[name], atol=1e-5)
    # Masks may differ only where a float sum's last bits decide.
    for folder in ('pseudo', 'seg_train'):
        masks_one, masks_two = pngs(one / f'round_0/{folder}'), pngs(
            two / f'round_0/{folder}')
        assert masks_one.keys() == masks_two.keys()
        same = sum(masks_one[k] == masks_two[k] for k in masks_one)
        assert same >= len(masks_one) - 1, folder
    bank_one, bank_two = bank(one, 0), bank(two, 0)
    assert bank_one['confounders'].max() > 0
    np.testing.assert_array_equal(bank_one['counts'], bank_two['counts'])
    np.testing.assert_allclose(bank_two['confounders'],
                               bank_one['confounders'], atol=1e-2)
    assert summary(two)[0] == pytest.approx(summary(one)[0], abs=0.5)
