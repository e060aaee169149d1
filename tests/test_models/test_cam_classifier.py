"""CAMClassifier with mmseg and mmpretrain backbones."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.structures import SegDataSample

from mmconta.registry import MODELS

TINY_RESNET = dict(
    type='ResNet', depth=18, stem_channels=8, base_channels=8,
    out_indices=(3, ), strides=(1, 2, 2, 1), frozen_stages=1,
    norm_eval=True)


def build(backbone, in_channels):
    init_default_scope('mmconta')
    return MODELS.build(
        dict(type='CAMClassifier',
             data_preprocessor=dict(type='SegDataPreProcessor'),
             backbone=backbone,
             head=dict(type='CAMHead', in_channels=in_channels,
                       num_classes=3)))


def batch(n=2, size=32):
    torch.manual_seed(0)
    data_samples = []
    for i in range(n):
        sample = SegDataSample()
        sample.gt_img_labels = torch.eye(3)[i % 3]
        data_samples.append(sample)
    return torch.randn(n, 3, size, size), data_samples


@pytest.mark.parametrize('backbone,channels', [
    (TINY_RESNET, 64),
    (dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, )), 512),
    # A ViT's patch tokens as a feature map; positions are resized to the
    # input, so CAMs work at any image size.
    (dict(type='mmpretrain.VisionTransformer', arch='deit-tiny', img_size=32,
          patch_size=8, out_type='featmap'), 192),
])
def test_modes_and_cam(backbone, channels):
    model = build(backbone, channels)
    inputs, data_samples = batch()
    assert model(inputs, mode='tensor').shape == (2, 3)
    assert set(model(inputs, data_samples, mode='loss')) == {'loss_cls'}
    scores = model(inputs, data_samples, mode='predict')[0].pred_img_scores
    assert scores.shape == (3, )
    assert (0 <= scores).all() and (scores <= 1).all()
    cams = model.cam(inputs)
    assert cams.shape[:2] == (2, 3)
    torch.testing.assert_close(cams.mean((2, 3)), model(inputs))
    with pytest.raises(ValueError, match="mode must be"):
        model(inputs, mode='cams')
    with pytest.raises(ValueError, match='data_samples'):
        model(inputs, mode='loss')
    # The runner's predict always passes samples; a bare call makes them.
    assert len(model(inputs, mode='predict')) == 2


def test_feature_index_picks_the_backbone_output():
    backbone = dict(TINY_RESNET, out_indices=(2, 3))
    model = build(dict(backbone, frozen_stages=-1), 32)
    model.feature_index = 0
    inputs, _ = batch()
    assert model.cam(inputs).shape == (2, 3, 2, 2)  # stage 3, stride 16


def test_sgd_lowers_the_loss_and_frozen_stages_stay():
    model = build(TINY_RESNET, 64)
    model.train()
    inputs, data_samples = batch(n=3)
    frozen = model.backbone.layer1[0].conv1.weight.clone()
    optimizer = torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.05)
    losses = []
    for _ in range(8):
        loss = model(inputs, data_samples, mode='loss')['loss_cls']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert not model.backbone.layer1[0].conv1.weight.requires_grad
    assert model.backbone.conv1.weight.grad is None
    assert model.backbone.layer1[0].conv1.weight.grad is None
    assert model.backbone.layer2[0].conv1.weight.grad is not None
    torch.testing.assert_close(model.backbone.layer1[0].conv1.weight, frozen)
