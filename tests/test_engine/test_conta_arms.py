"""CONTA's arms on one shared round 0: M in the backbone, the retraining
control, the shuffled-x_m control, and a last round cut short."""
import json
import os

import pytest
import torch
from round_loop import done, summary, train, write_config

# The stage configs of configs/conta/cam_shapes.py; a stage's runner dumps
# its config under its own file name.
CAM_SHAPES = 'cam_r18-w16_1xb16-12e_shapes-96x96.py'
SEG_SHAPES = 'deeplab-aspp_r18-w16_1xb16-10e_shapes-96x96.py'


@pytest.fixture(scope='module')
def round0(tmp_path_factory, shapes_root):
    """Round 0 alone, shared by every arm as the study shares it."""
    tmp = tmp_path_factory.mktemp('round0')
    cfg = write_config(tmp / 'conta.py', shapes_root, rounds=1)
    train(cfg, tmp / 'work')
    return tmp / 'work' / 'round_0'


def run_arm(tmp_path, shapes_root, round0, options: str):
    cfg = write_config(tmp_path / 'conta.py', shapes_root, rounds=2)
    with open(cfg, 'a') as f:
        f.write(options)
    work = tmp_path / 'work'
    work.mkdir()
    os.symlink(round0, work / 'round_0')
    train(cfg, work)
    return work


def checkpoint(work, stage='cls'):
    path = (work / f'round_1/{stage}/last_checkpoint').read_text().strip()
    return torch.load(path, weights_only=True)


def test_stage_injection_runs_the_round_and_stops_after_cam(
        tmp_path, shapes_root, round0):
    # Soft x_m: the segmentor's foreground probability, one PNG per image.
    probs = sorted(p.name for p in (round0 / 'seg_train/fg_prob').glob('*'))
    assert probs == sorted(p.name for p in (round0 / 'seg_train').glob(
        '*.png'))
    work = run_arm(tmp_path, shapes_root, round0,
                   "conta = dict(head=dict(inject='stage2', x_m='soft'))\n"
                   "stop_after = 'cam'\n")
    weights = checkpoint(work)['state_dict']
    # M's weights (one input channel of stage 3's first convolution) are
    # the head's; the backbone's keys are the plain network's.
    assert weights['head.context_conv.weight'].shape[1] == 1
    assert 'head.query.weight' in weights
    # The CAM stage loaded x_m: every training image has its CAM.
    cam, cls = done(work, 1, 'cam'), done(work, 1, 'cls')
    assert cam['written'] == 12
    # Costs for tools/experiments/dry_run.py: time per iteration (per
    # image for the CAM loop's batches of 1) and this process's peak.
    assert cls['iterations'] > 0
    for record, timed in ((cls, 'seconds_per_iter'),
                          (cam, 'seconds_per_batch')):
        assert 0 < record[timed] < record['seconds']
        assert record['peak_rss_mb'] > 100
    assert not (work / 'round_1/seg').exists()
    rows = summary(work)
    assert rows[1]['seed_miou'] is not None
    assert rows[1]['seg_val_miou'] is None
    assert rows[0] == json.loads(
        (round0.parent / 'summary.json').read_text())[0]


def test_retraining_control_keeps_the_plain_head_and_the_round_seed(
        tmp_path, shapes_root, round0):
    work = run_arm(tmp_path, shapes_root, round0,
                   "intervention = 'none'\nstop_after = 'cls'\n")
    ckpt = checkpoint(work)
    assert not any(k.startswith('head.query') for k in ckpt['state_dict'])
    # Round t trains with seed + t in every arm.
    dumped = (work / 'round_1/cls' / CAM_SHAPES).read_text()
    assert 'randomness = dict(seed=1)' in dumped
    assert not (work / 'round_1/cam').exists()


def test_cda_banks_round_0s_objects_and_trains_on_pairs(
        tmp_path, shapes_root, round0):
    work = run_arm(tmp_path, shapes_root, round0,
                   "intervention = 'cda'\nstop_after = 'cls'\n"
                   # One epoch of round 0 leaves specks of foreground.
                   'cda = dict(min_fg_ratio=0.0)\n')
    record = done(work, 1, 'instances')
    index = json.loads((work / 'round_1/instances/index.json').read_text())
    assert record['instances'] == {k: len(v) for k, v in index.items()}
    assert sum(record['instances'].values()) > 0
    assert record['source'] == str(work / 'round_0/pseudo')
    dumped = (work / 'round_1/cls' / CAM_SHAPES).read_text()
    assert "collate_fn=dict(type='flatten_pairs_collate')" in dumped
    assert str(work / 'round_1/instances') in dumped
    # CDA alone: the plain head.
    assert not any(k.startswith('head.query')
                   for k in checkpoint(work)['state_dict'])


def test_bad_arm_options(tmp_path, shapes_root):
    from mmconta.engine.runners.conta_round_runner import ContaRoundRunner
    from round_loop import REPO
    kwargs = dict(work_dir=str(tmp_path), rounds=2,
                  cls=dict(config=str(REPO / 'configs/cam' / CAM_SHAPES)),
                  seg=dict(config=str(REPO / 'configs/seg' / SEG_SHAPES)))
    with pytest.raises(ValueError, match='unknown keys'):
        ContaRoundRunner(conta=dict(adjustment=False), **kwargs)
    with pytest.raises(ValueError, match="'shuffled'"):
        ContaRoundRunner(conta=dict(control='random'), **kwargs)
    with pytest.raises(ValueError, match='stop_after'):
        ContaRoundRunner(stop_after='bank', **kwargs)
    with pytest.raises(ValueError, match="intervention='none'"):
        ContaRoundRunner(conta=dict(adjust=False), **kwargs)
    with pytest.raises(ValueError, match='intervention must be one of'):
        ContaRoundRunner(intervention='paste', **kwargs)
    with pytest.raises(ValueError, match='cda.source must be one of'):
        ContaRoundRunner(intervention='cda', cda=dict(source='cam'),
                         **kwargs)
    plain = dict(kwargs, cls=dict(kwargs['cls'], cfg_options={
        'train_dataloader.dataset.pipeline': [
            dict(type='LoadImageFromFile'), dict(type='PackWSSSInputs')]}))
    with pytest.raises(ValueError, match="pipeline lacks"):
        ContaRoundRunner(intervention='both', **plain)


def test_segmentor_starts_from_the_rounds_classifier(round0):
    """seg.init_from_classifier: no pretrained weights exist for the
    synthetic set, and from scratch the segmentor dropped whole classes."""
    dumped = (round0 / 'seg' / SEG_SHAPES).read_text()
    assert f"load_from = '{round0 / 'cls'}" in dumped


def test_seg_train_records_each_class_area_ratio(round0):
    """Predicted over pseudo-mask area per class: the evidence behind the
    collapse warning (one epoch of training on 12 images collapses)."""
    ratios = done(round0.parent, 0, 'seg_train')['area_ratio']
    assert set(ratios) <= {'circle', 'square', 'triangle', 'cross', 'ring',
                           'diamond'}
    assert ratios and all(r >= 0 for r in ratios.values())
    log = (round0.parent / 'conta.log').read_text()
    collapsed = [c for c, r in ratios.items() if r < 0.1]
    assert bool(collapsed) == ('these classes collapsed' in log)
