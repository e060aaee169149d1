"""SEAM: its losses, the pixel correlation module and the classifier."""
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from tiny_data import make_coco_tree, make_voc_tree

from mmconta.models.classifiers import SEAMClassifier
from mmconta.models.heads import PixelCorrelationModule
from mmconta.models.losses import (adaptive_min_pooling_loss,
                                   equivariant_cross_regularisation_loss,
                                   equivariant_regularisation_loss, max_norm,
                                   max_onehot, with_background)
from mmconta.registry import DATASETS, MODELS
from mmconta.utils import drop_pretrained, set_data_root

REPO = Path(__file__).parents[2]
SEAM_VOC = 'configs/seam/seam_r38d_1xb8-8e_voc12aug-448x448.py'
SMALL = dict(
    type='SEAMClassifier',
    data_preprocessor=dict(type='SegDataPreProcessor'),
    backbone=dict(
        type='ResNet', depth=18, stem_channels=16, base_channels=16,
        strides=(1, 2, 1, 1), dilations=(1, 1, 1, 1), out_indices=(1, 2, 3),
        style='pytorch'),
    head=dict(type='CAMHead', in_channels=128, num_classes=3),
    pcm=dict(type='PixelCorrelationModule', in_indices=(0, 1),
             in_channels=(32, 64)))


def samples(n=2, prev_mask=False):
    out = []
    for i in range(n):
        sample = SegDataSample()
        sample.gt_img_labels = torch.eye(3)[i % 3]
        if prev_mask:
            mask = torch.zeros(1, 32, 32, dtype=torch.long)
            mask[:, :16] = 1 + i
            sample.prev_mask = PixelData(data=mask)
        out.append(sample)
    return out


def build(cfg):
    init_default_scope('mmconta')
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_max_norm_and_max_onehot():
    cam = torch.tensor([[[[-1., 1.], [3., 5.]]]])
    # ReLU, then (p - min - eps) / (max - min + eps) per channel.
    expected = torch.tensor([[0., 1.], [3., 5.]]) - 1e-5
    torch.testing.assert_close(
        max_norm(cam)[0, 0], expected.clamp(min=0) / (5 + 1e-5))
    # Rows: background, fg1, fg2; columns: two pixels.
    cam = torch.tensor([[0.3, 0.2], [0.5, 0.1], [0.4, 0.1]])[None, :, None]
    before = cam.clone()
    onehot = max_onehot(cam)
    torch.testing.assert_close(cam, before)  # unlike SEAM, not in place
    # Pixel 0: fg1 wins, fg2 zeroed; pixel 1: a tie, both kept (as SEAM).
    torch.testing.assert_close(
        onehot[0, :, 0], torch.tensor([[0.3, 0.2], [0.5, 0.1], [0., 0.1]]))
    fg = torch.tensor([0.2, 0.7])[None, :, None, None]
    torch.testing.assert_close(
        with_background(fg)[0, :, 0, 0], torch.tensor([0.3, 0.2, 0.7]))


def test_er_is_zero_for_an_equivariant_pair():
    torch.manual_seed(0)
    cam = torch.rand(2, 3, 40, 40)
    small = F.interpolate(cam, scale_factor=0.3, mode='bilinear',
                          align_corners=True)
    assert small.shape[-2:] == (12, 12)
    loss = equivariant_regularisation_loss(cam, small)
    torch.testing.assert_close(loss, torch.tensor(0.), atol=1e-6, rtol=0)
    assert equivariant_regularisation_loss(cam, small.flip(-1)) > 0.05
    # Same sizes: plain mean L1.
    torch.testing.assert_close(
        equivariant_regularisation_loss(cam, cam + 0.25), torch.tensor(0.25))


def test_ecr_averages_the_top_errors_against_the_detached_onehot():
    # One image, background + 2 classes, 1 x 5 pixels: 15 errors, k = 3.
    other = torch.zeros(1, 3, 1, 5)
    other[0, 1] = torch.tensor([1., 0., 0.2, 0., 0.])
    other[0, 2] = torch.tensor([0.5, 0., 0.6, 0., 0.])
    other = with_background(other[:, 1:])
    cam_rv = torch.zeros(1, 3, 1, 5, requires_grad=True)
    loss = equivariant_cross_regularisation_loss(cam_rv, other, topk=0.2)
    # The one-hot target keeps fg1=1 at pixel 0, fg2=0.6 at pixel 2 and the
    # background 1 - max fg (0, 1, 0.4, 1, 1): top 3 errors are 1, 1, 1.
    torch.testing.assert_close(loss, torch.tensor(1.))
    loss = equivariant_cross_regularisation_loss(cam_rv, other, topk=0.4)
    # k = 6: 1, 1, 1, 1, 0.6, 0.4 (0.5 at fg2 pixel 0 is not kept).
    torch.testing.assert_close(loss, torch.tensor(5. / 6))
    loss.backward()
    assert cam_rv.grad.abs().sum() > 0


def test_adaptive_min_pooling_loss():
    # Per-pixel class maxima of a 2 x 4 map: 8 pixels, k = 2 lowest.
    cam = torch.tensor([[-1., 0.5, 0.2, 0.9], [0.3, 0.4, 0.8, 0.6]])
    cam = torch.stack([cam, cam - 1])[None]
    # Lowest maxima: -1 and 0.2; ReLU -> 0 and 0.2; sum / (k * n) = 0.1.
    torch.testing.assert_close(adaptive_min_pooling_loss(cam),
                               torch.tensor(0.1))
    torch.testing.assert_close(adaptive_min_pooling_loss(cam, ratio=0.5),
                               torch.tensor((0.2 + 0.3 + 0.4) / 4))


def test_pcm_with_identical_features_averages_the_cam():
    pcm = PixelCorrelationModule(in_indices=(1, ), in_channels=(4, ),
                                 channels=(5, ), out_channels=6)
    pcm.init_weights()
    image = torch.ones(2, 3, 23, 23)
    feats = (None, torch.ones(2, 4, 6, 6))
    cam = torch.rand(2, 3, 6, 6)
    out = pcm(cam, image, feats)
    assert out.shape == (2, 3, 6, 6)
    mean = cam.mean((2, 3), keepdim=True).expand_as(out)
    # aff = 1 everywhere, normalised to 1/36 (+1e-5 in the denominators).
    torch.testing.assert_close(out, mean, rtol=1e-4, atol=1e-5)
    # Different embeddings: no longer one mean.
    feats = (None, torch.randn(2, 4, 6, 6))
    assert not torch.allclose(pcm(cam, image, feats), mean, atol=1e-3)
    with pytest.raises(ValueError, match='one entry per feature'):
        PixelCorrelationModule(in_indices=(0, 1), in_channels=(4, ))


def test_seam_on_small_resnet_losses_grads_and_cams():
    model = build(SMALL)
    model.train()
    inputs = torch.randn(2, 3, 64, 64)
    losses = model(inputs, samples(), mode='loss')
    assert set(losses) == {'loss_cls', 'loss_er', 'loss_ecr', 'loss_rvmin'}
    assert all(torch.isfinite(v) and v >= 0 for v in losses.values())
    sum(losses.values()).backward()
    for param in (model.pcm.reduce_convs[0].weight,
                  model.pcm.reduce_convs[1].weight,
                  model.pcm.embed_conv.weight, model.backbone.conv1.weight,
                  model.head.classifier.weight):
        assert param.grad is not None and param.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        cams = model.cam(inputs)
        assert cams.shape == (2, 3, 8, 8)
        assert (cams >= 0).all()
        # The CAM loop feeds channels-last images.
        torch.testing.assert_close(
            model.cam(inputs.contiguous(memory_format=torch.channels_last)),
            cams)
        plain = model.plain_cam(inputs)
        torch.testing.assert_close(plain.mean((2, 3)), model(inputs))
    assert not torch.allclose(cams, plain)
    with pytest.raises(ValueError, match='data_samples'):
        model(inputs, mode='loss')
    with pytest.raises(ValueError, match='view_scale'):
        build(dict(SMALL, view_scale=0))
    with pytest.raises(ValueError, match='ecr_topk'):
        build(dict(SMALL, ecr_topk=1.5))


def test_pcm_features_at_another_stride_are_resized():
    # IRN's output stride 16: stage 2 is at stride 8, the CAM at 16.
    backbone = dict(SMALL['backbone'], strides=(1, 2, 2, 1))
    model = build(dict(SMALL, backbone=backbone))
    inputs = torch.randn(1, 3, 64, 64)
    assert [f.shape[-1] for f in model.backbone(inputs)] == [8, 4, 4]
    assert model.cam(inputs).shape == (1, 3, 4, 4)
    sum(model(inputs, samples(1), mode='loss').values()).backward()
    assert model.pcm.reduce_convs[0].weight.grad.abs().sum() > 0


def test_pcm_seed_is_seams_cam_d_norm():
    cam = torch.tensor([[1., 4., 0.5], [3., -2., 1.]])[None, :, None]
    seed = SEAMClassifier.pcm_seed(cam)
    # Each class relu(cam - 1e-5) / (max + 1e-5): [0.25, 1, 0.125] and
    # [1, 0, 1/3]; background 1 - max fg; per pixel only the strongest
    # foreground class stays.
    a = (torch.tensor([1., 4., 0.5]) - 1e-5) / (4 + 1e-5)
    b = (torch.tensor([3., 0., 1.]) - 1e-5).clamp(min=0) / (3 + 1e-5)
    expected = torch.stack([
        1 - torch.maximum(a, b),
        torch.tensor([0., a[1], 0.]),
        torch.tensor([b[0], 0., b[2]]),
    ])
    torch.testing.assert_close(seed[0, :, 0], expected)


def test_loss_weights_scale_the_terms():
    model = build(SMALL)
    inputs = torch.randn(2, 3, 48, 48)
    model.eval()  # no BN statistics update between the two calls
    base = model(inputs, samples(), mode='loss')
    model.er_weight, model.ecr_weight, model.rvmin_weight = 2., 0., 3.
    scaled = model(inputs, samples(), mode='loss')
    torch.testing.assert_close(scaled['loss_er'], 2 * base['loss_er'])
    assert scaled['loss_ecr'] == 0
    torch.testing.assert_close(scaled['loss_rvmin'], 3 * base['loss_rvmin'])
    torch.testing.assert_close(scaled['loss_cls'], base['loss_cls'])


def test_seam_with_context_adjusted_head(tmp_path):
    rng = np.random.default_rng(0)
    bank = tmp_path / 'confounder_bank.npz'
    np.savez(bank, confounders=rng.random((3, 4, 4)).astype(np.float32),
             prior=np.array([0.5, 0.3, 0.2], np.float32),
             counts=np.array([2, 1, 1]), classes=np.array(['a', 'b', 'c']))
    head = dict(SMALL['head'], type='ContextAdjustedCAMHead',
                bank_file=str(bank))
    model = build(dict(SMALL, head=head))
    # M's classifier weights start at zero; give them a value so that M's
    # own weights get a gradient in this one step.
    with torch.no_grad():
        model.head.classifier.weight[:, -1] = 1.0
    inputs = torch.randn(2, 3, 64, 64)
    losses = model(inputs, samples(prev_mask=True), mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())
    losses['loss_cls'].backward()
    # M reaches the classification loss of both views.
    assert model.head.query.weight.grad.abs().sum() > 0
    assert model.head.classifier.weight.grad[:, -1].abs().sum() > 0
    assert model.cam(inputs).shape == (2, 3, 8, 8)


def test_seam_with_m_in_the_backbone(tmp_path):
    rng = np.random.default_rng(0)
    bank = tmp_path / 'confounder_bank.npz'
    np.savez(bank, confounders=rng.random((3, 4, 4)).astype(np.float32),
             prior=np.full(3, 1 / 3, np.float32), counts=np.ones(3),
             classes=np.array(['a', 'b', 'c']))
    head = dict(SMALL['head'], type='ContextAdjustedCAMHead',
                bank_file=str(bank), inject='stage2')
    # mmseg's ResNet zero-initialises each residual branch's last BN, which
    # gates M (it enters stage 3's first conv) until training opens it.
    backbone = dict(SMALL['backbone'], zero_init_residual=False)
    model = build(dict(SMALL, backbone=backbone, head=head))
    inputs = torch.randn(2, 3, 64, 64)
    data_samples = samples(prev_mask=True)
    losses = model(inputs, data_samples, mode='loss')
    losses['loss_cls'].backward()
    # Both views (the second at 0.3x) pass M through stage 3's first conv.
    assert model.head.context_conv.weight.grad.abs().sum() > 0
    context = model.context(data_samples, inputs)
    assert model.cam(inputs, context).shape == (2, 3, 8, 8)


def test_voc_config_builds_and_trains_a_step():
    init_default_scope('mmconta')
    cfg = Config.fromfile(str(REPO / SEAM_VOC))
    assert drop_pretrained(cfg.model) == 1
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    assert type(model.backbone).__name__ == 'ResNet38d'
    assert model.head.num_classes == 20
    sample = SegDataSample()
    sample.gt_img_labels = torch.zeros(20)
    sample.gt_img_labels[14] = 1
    model.train()
    losses = model(torch.randn(1, 3, 64, 64), [sample], mode='loss')
    sum(losses.values()).backward()
    assert model.pcm.embed_conv.weight.grad.abs().sum() > 0
    assert model.backbone.b4.conv_branch2a.weight.grad.abs().sum() > 0
    # SEAM's not_training: the stem and b2 get no gradient.
    assert model.backbone.b2.conv_branch2a.weight.grad is None
    model.eval()
    with torch.no_grad():
        assert model.cam(torch.randn(1, 3, 64, 64)).shape == (1, 20, 8, 8)


@pytest.mark.parametrize('name,make_data', [
    ('seam_r38d_1xb8-8e_voc12aug-448x448', make_voc_tree),
    ('seam_r38d_1xb8-8e_coco-448x448', make_coco_tree)])
def test_seam_train_pipeline_crops_448(tmp_path, name, make_data):
    init_default_scope('mmconta')
    make_data(tmp_path)
    cfg = Config.fromfile(str(REPO / f'configs/seam/{name}.py'))
    set_data_root(cfg, str(tmp_path))
    assert cfg.train_dataloader.batch_size == 8
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    inputs = dataset[0]['inputs']
    # Long side 448-768 then a 448 crop (the preprocessor pads to 448).
    assert max(inputs.shape[-2:]) == 448
    assert cfg.model.data_preprocessor.size == (448, 448)


@pytest.mark.parametrize('backbone,pcm_channels,feat_channels', [
    # mmseg's ResNet-50 at output stride 8: stages 2, 3 for the PCM.
    (dict(type='ResNet', depth=50, strides=(1, 2, 1, 1),
          dilations=(1, 1, 2, 4), out_indices=(1, 2, 3)), (512, 1024), 2048),
    # mmpretrain's ResNet-50 by scope.
    (dict(type='mmpretrain.ResNet', depth=50, strides=(1, 2, 1, 1),
          dilations=(1, 1, 2, 4), out_indices=(1, 2, 3)), (512, 1024), 2048),
])
def test_voc_config_takes_another_backbone(backbone, pcm_channels,
                                           feat_channels):
    """SEAM's VOC config with the backbone swapped as a user would."""
    init_default_scope('mmconta')
    cfg = Config.fromfile(str(REPO / SEAM_VOC))
    cfg.merge_from_dict({
        'model.backbone': dict(backbone, _delete_=True),
        'model.pcm.in_channels': pcm_channels,
        'model.head.in_channels': feat_channels
    })
    model = MODELS.build(cfg.model)
    model.train()
    sample = SegDataSample()
    sample.gt_img_labels = torch.zeros(20)
    sample.gt_img_labels[3] = 1
    losses = model(torch.randn(1, 3, 64, 64), [sample], mode='loss')
    sum(losses.values()).backward()
    assert model.pcm.embed_conv.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        assert model.cam(torch.randn(1, 3, 64, 64)).shape == (1, 20, 8, 8)
