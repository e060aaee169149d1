"""Pretrained weights (and the dense CRF): found before training, or
dropped on request."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

import mmconta.utils.pretrained as pretrained
from mmconta.engine import ContaRoundRunner
from mmconta.utils import (PretrainedWeightsError, check_pretrained,
                           drop_pretrained, prepare_pretrained,
                           pretrained_sources)

REPO = Path(__file__).resolve().parents[2]


def model_cfg(backbone_ckpt, neck_ckpt=None):
    neck = dict(type='Neck')
    if neck_ckpt is not None:
        neck['init_cfg'] = [
            dict(type='Kaiming', layer='Conv2d'),
            dict(type='Pretrained', checkpoint=neck_ckpt, prefix='neck.')
        ]
    return dict(
        type='Model',
        backbone=dict(type='Backbone', init_cfg=dict(
            type='Pretrained', checkpoint=backbone_ckpt)),
        necks=[neck])


def test_sources_name_the_config_key():
    cfg = model_cfg('a.pth', 'b.pth')
    cfg['pretrained'] = 'c.pth'
    assert sorted(pretrained_sources(cfg)) == [
        ('model.backbone.init_cfg.checkpoint', 'a.pth'),
        ('model.necks[0].init_cfg[1].checkpoint', 'b.pth'),
        ('model.pretrained', 'c.pth'),
    ]


def test_drop_keeps_the_other_initialisers():
    cfg = model_cfg('a.pth', 'b.pth')
    assert drop_pretrained(cfg) == 2
    assert 'init_cfg' not in cfg['backbone']
    assert cfg['necks'][0]['init_cfg'] == [
        dict(type='Kaiming', layer='Conv2d')]
    assert pretrained_sources(cfg) == []


def test_local_file_missing_then_present(tmp_path):
    ckpt = tmp_path / 'resnet38d_ilsvrc.pth'
    cfg = model_cfg(str(ckpt))
    with pytest.raises(PretrainedWeightsError) as e:
        check_pretrained(cfg, where='cls stage: ')
    message = str(e.value)
    assert '\n' not in message
    for part in ('cls stage: ', str(ckpt), 'model.backbone.init_cfg',
                 '--no-pretrained'):
        assert part in message
    torch.save({}, ckpt)
    assert check_pretrained(cfg) == 1


def test_url_cached_or_reachable(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    monkeypatch.setattr(pretrained, 'unreachable',
                        lambda url: 'gaierror: no network')
    cfg = model_cfg('torchvision://resnet50')
    with pytest.raises(PretrainedWeightsError) as e:
        check_pretrained(cfg)
    local, url = pretrained.checkpoint_location('torchvision://resnet50')
    assert url.startswith('https://') and local.startswith(str(tmp_path))
    for part in (url, local, 'gaierror', '--no-pretrained'):
        assert part in str(e.value)
    # In torch hub's cache, mmengine reads it without the network.
    Path(local).parent.mkdir(parents=True)
    Path(local).touch()
    assert check_pretrained(cfg) == 1
    # Not cached but reachable: mmengine downloads it as usual.
    monkeypatch.setattr(pretrained, 'unreachable', lambda url: None)
    assert check_pretrained(model_cfg('https://example.org/w.pth')) == 1


def test_unknown_model_name():
    with pytest.raises(PretrainedWeightsError,
                       match='unknown model name torchvision://resnet51'):
        check_pretrained(model_cfg('torchvision://resnet51'))


def test_prepare_drops_with_a_warning(tmp_path):
    cfg = model_cfg(str(tmp_path / 'missing.pth'))
    assert prepare_pretrained(cfg, no_pretrained=True, where='seg: ') == 1
    assert pretrained_sources(cfg) == []


@pytest.mark.parametrize('flag', [False, True])
def test_flagship_command_without_weights(tmp_path, flag):
    """seam_voc.py starts from a converted MXNet file nobody has by
    default: one line naming it and the flag; with the flag the loads are
    dropped and the run goes on."""
    cfg = Config.fromfile(REPO / 'configs/seam/'
                          'seam_r38d_1xb8-8e_voc12aug-448x448.py')
    ckpt = cfg.model.backbone.init_cfg.checkpoint
    assert not (REPO / ckpt).exists()
    args = [sys.executable, str(REPO / 'tools/train.py'),
            'configs/conta/seam_voc.py', '--work-dir', str(tmp_path),
            '--data-root', str(tmp_path / 'no_voc')]
    proc = subprocess.run(args + ['--no-pretrained'] * flag, cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode != 0
    if flag:
        # Past the weights, the run stops at what else is missing: the
        # dense CRF where pydensecrf is not installed, else the data.
        assert 'no_pretrained: random initialisation instead of ' \
            f'{ckpt}' in proc.stdout + proc.stderr
        assert 'pretrained weights not found' not in proc.stderr
        assert 'pip install pydensecrf2' in proc.stderr or \
            'split file not found' in proc.stderr
    else:
        assert 'Traceback' not in proc.stderr
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith('tools/train.py: error: cls stage: '
                               f'pretrained weights not found: {ckpt}')
        assert '--no-pretrained' in last


def test_round_loop_checks_the_crf_before_round_0(tmp_path, monkeypatch):
    """IRN's VOC loop makes its refiner's labels with a dense CRF: without
    pydensecrf it fails before the classifier trains, not after."""
    cfg = Config.fromfile(REPO / 'configs/conta/irn_voc.py')
    cfg.work_dir = str(tmp_path)
    cfg.no_pretrained = True
    runner = ContaRoundRunner.from_cfg(cfg)
    monkeypatch.setitem(sys.modules, 'pydensecrf', None)
    with pytest.raises(ImportError, match='pip install pydensecrf2'):
        runner.train()
    assert not (tmp_path / 'round_0').exists()
