"""Every config loads and its model builds; the VOC model trains a step."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.structures import SegDataSample

from mmconta.registry import MODELS

CONFIGS = sorted(
    str(p) for p in (Path(__file__).parents[2] / 'configs/cam').glob('*.py'))
SEG_CONFIGS = sorted(
    str(p) for p in (Path(__file__).parents[2] / 'configs/seg').glob('*.py'))


def build_model(path):
    init_default_scope('mmconta')
    cfg = Config.fromfile(path)
    cfg.model.backbone.pop('init_cfg', None)  # no weights offline
    return cfg, MODELS.build(cfg.model)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: Path(p).stem)
def test_config_builds(path):
    cfg, model = build_model(path)
    assert cfg.default_scope == 'mmconta'
    assert cfg.custom_imports.imports == ['mmconta']
    assert cfg.test_cfg.type == 'CAMGenerationLoop'
    assert cfg.test_cfg.pseudo_mask.bg_thr == cfg.test_evaluator[0].bg_thr
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.head.lr_mult == 10
    # Inherited through 'mmseg::' without _scope_='mmseg' left behind.
    assert '_scope_' not in cfg.visualizer
    classes = model.head.num_classes
    assert classes == {'voc': 20, 'coco': 80, 'shapes': 6}[
        Path(path).stem.split('_')[-1]]


def test_voc_resnet50_forward_backward():
    _, model = build_model(
        str(Path(__file__).parents[2] / 'configs/cam/cam_voc.py'))
    sample = SegDataSample()
    sample.gt_img_labels = torch.zeros(20)
    sample.gt_img_labels[14] = 1
    loss = model(torch.randn(2, 3, 64, 64), [sample, sample],
                 mode='loss')['loss_cls']
    loss.backward()
    assert model.head.classifier.weight.grad.abs().sum() > 0
    # IRN: no gradient reaches the stem and stages 1-2.
    assert model.backbone.layer2[0].conv1.weight.grad is None
    assert model.backbone.layer3[0].conv1.weight.grad is not None


@pytest.mark.parametrize('path', SEG_CONFIGS, ids=lambda p: Path(p).stem)
def test_segmentation_config_builds_and_runs(path):
    init_default_scope('mmconta')
    cfg = Config.fromfile(path)
    assert cfg.train_dataloader.dataset.type == 'PseudoLabelDataset'
    model = MODELS.build(cfg.model)
    out = model(torch.randn(2, 3, 96, 96), mode='tensor')
    assert out.shape[1] == cfg.model.decode_head.num_classes
