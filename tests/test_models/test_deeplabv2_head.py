"""DeepLabV2Head: the sum of dilated class-score branches, in a segmentor."""
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmconta.registry import MODELS
from mmconta.utils import drop_pretrained

REPO = Path(__file__).parents[2]


def test_output_is_the_sum_of_the_dilated_branches():
    head = MODELS.build(
        dict(type='DeepLabV2Head', in_channels=8, num_classes=5,
             dilations=(1, 2)))
    head.init_weights()
    assert not hasattr(head, 'conv_seg')
    assert [b.dilation for b in head.aspp] == [(1, 1), (2, 2)]
    # N(0, 0.01) weights, zero biases, as deeplab-pytorch.
    weights = torch.cat([b.weight.flatten() for b in head.aspp])
    assert 0.005 < weights.std() < 0.015
    assert all((b.bias == 0).all() for b in head.aspp)
    x = torch.randn(2, 8, 9, 9)
    expected = sum(
        torch.nn.functional.conv2d(x, b.weight, b.bias, padding=r, dilation=r)
        for b, r in zip(head.aspp, (1, 2)))
    torch.testing.assert_close(head([x]), expected)


def test_voc_config_builds_deeplabv2_resnet101_and_trains_a_step():
    init_default_scope('mmconta')
    cfg = Config.fromfile(
        REPO / 'configs/seg/deeplabv2_r101-d8_4xb4-20k_voc12aug-512x512.py')
    drop_pretrained(cfg.model)
    # SyncBN needs a process group; plain BN is the same layer on 1 process.
    cfg.model.backbone.norm_cfg = dict(type='BN', requires_grad=True)
    model = MODELS.build(cfg.model)
    assert type(model.decode_head).__name__ == 'DeepLabV2Head'
    assert model.decode_head.num_classes == 21
    assert model.backbone.depth == 101
    sample = SegDataSample(metainfo=dict(img_shape=(64, 64)))
    label = torch.zeros(1, 64, 64, dtype=torch.long)
    label[:, 16:48, 16:48] = 15
    sample.gt_sem_seg = PixelData(data=label)
    losses = model(torch.randn(2, 3, 64, 64), [sample, sample], mode='loss')
    losses['decode.loss_ce'].backward()
    assert torch.isfinite(losses['decode.loss_ce'])
    assert all(b.weight.grad.abs().sum() > 0 for b in model.decode_head.aspp)


def test_deeplabv3plus_option_builds_and_trains_a_step():
    """mmseg's DeepLab-v3+ swapped in for the paper's DeepLab-v2."""
    init_default_scope('mmconta')
    cfg = Config.fromfile(REPO / 'configs/seg/'
                          'deeplabv3plus_r101-d8_4xb4-20k_voc12aug-512x512.py')
    drop_pretrained(cfg.model)
    # SyncBN needs a process group; plain BN is the same layer on 1 process.
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    assert type(model.decode_head).__name__ == 'DepthwiseSeparableASPPHead'
    sample = SegDataSample(metainfo=dict(img_shape=(64, 64)))
    sample.gt_sem_seg = PixelData(
        data=torch.randint(0, 21, (1, 64, 64), dtype=torch.long))
    losses = model(torch.randn(2, 3, 64, 64), [sample, sample], mode='loss')
    losses['decode.loss_ce'].backward()
    assert torch.isfinite(losses['decode.loss_ce'])
