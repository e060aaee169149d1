"""AffinityNet and IRNet: losses, frozen backbone, random-walk masks."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmconta.models.refiners import AffinityNet, BaseRefiner, IRNet
from mmconta.models.refiners.irnet import MeanShift
from mmconta.models.utils import pair_feature_affinity, pair_labels
from mmconta.registry import MODELS
from mmconta.utils import drop_pretrained

REPO = Path(__file__).parents[2]
# cam_small.py's thin ResNet-18: 16, 32, 64, 128 channels at strides
# 4, 8, 8, 8.
BACKBONE = dict(
    type='ResNet',
    depth=18,
    stem_channels=16,
    base_channels=16,
    strides=(1, 2, 1, 1),
    dilations=(1, 1, 1, 1),
    out_indices=(0, 1, 2, 3),
    style='pytorch')
PREPROCESSOR = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    seg_pad_val=255)


def affinity_net(**kwargs):
    init_default_scope('mmconta')
    return MODELS.build(
        dict(
            type='AffinityNet',
            backbone=dict(BACKBONE, out_indices=(1, 2, 3)),
            in_channels=(32, 64, 128),
            data_preprocessor=PREPROCESSOR,
            **kwargs))


def irnet(**kwargs):
    init_default_scope('mmconta')
    return MODELS.build(
        dict(
            type='IRNet',
            backbone=BACKBONE,
            in_channels=(16, 32, 64, 128),
            disp_channels=(32, 64, 64, 64),
            disp_fuse_channels=64,
            data_preprocessor=PREPROCESSOR,
            **kwargs))


def train_sample(size=32, seed=0):
    """A mask with background, classes 1 and 2 and an unsure band."""
    label = torch.zeros(1, size, size, dtype=torch.long)
    label[:, 4:20, 4:16] = 1
    label[:, 12:28, 18:30] = 2
    label[:, 2:4] = 255
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=label)
    return sample


def cam_sample(cam, keys, img_shape):
    sample = SegDataSample(metainfo=dict(img_shape=img_shape))
    sample.cam = PixelData(data=cam)
    sample.cam_keys = torch.tensor(keys, dtype=torch.long)
    return sample


@pytest.mark.parametrize('build,keys', [
    (affinity_net, {'loss_bg', 'loss_fg', 'loss_neg'}),
    (irnet, {'loss_pos', 'loss_neg', 'loss_dp_fg', 'loss_dp_bg'}),
])
def test_losses_are_finite_and_train(build, keys):
    torch.manual_seed(0)
    model = build()
    model.train()
    inputs = torch.randn(2, 3, 32, 32)
    losses = model(inputs, [train_sample(), train_sample()], mode='loss')
    assert set(losses) == keys
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    sum(losses.values()).backward()
    branch = model.fuse if build is affinity_net else model.edge_fuse
    assert branch.weight.grad.abs().sum() > 0
    stem = model.backbone.conv1.weight
    if build is affinity_net:
        assert stem.grad.abs().sum() > 0
    else:
        # IRN trains its branches only: the backbone is fixed and in eval.
        assert stem.grad is None and not stem.requires_grad
        assert model.disp_levels[0].conv.weight.grad.abs().sum() > 0
        assert not model.backbone.training and model.edge_fuse.training


def test_affinity_net_loss_follows_psa():
    # Recompute PSA's loss from the features the network gives.
    torch.manual_seed(0)
    model = affinity_net().eval()
    inputs = torch.randn(1, 3, 32, 32)
    sample = train_sample()
    losses = model(inputs, [sample], mode='loss')
    feat = model(inputs, mode='tensor')
    assert feat.shape == (1, 448, 4, 4)
    aff = pair_feature_affinity(feat, 5)
    label = sample.gt_sem_seg.data[:, 4::8, 4::8]  # cell centres
    labels = pair_labels(label, 5)
    bg, neg = labels['bg_pos'], labels['neg']
    expected_bg = (-bg * torch.log(aff + 1e-5)).sum() / (bg.sum() + 1e-5)
    expected_neg = (-neg * torch.log(1 + 1e-5 - aff)).sum() / (neg.sum() +
                                                              1e-5)
    assert losses['loss_bg'].item() == pytest.approx(expected_bg.item() / 4)
    assert losses['loss_neg'].item() == pytest.approx(expected_neg.item() /
                                                      2)


def test_irnet_displacement_loss_is_zero_for_centroid_field(monkeypatch):
    # A displacement field pointing each pixel of one object to its
    # centroid and a constant one elsewhere: both displacement losses 0.
    model = irnet()
    size, grid = 32, 8
    ys, xs = torch.meshgrid(
        torch.arange(grid, dtype=torch.float32),
        torch.arange(grid, dtype=torch.float32),
        indexing='ij')
    disp = torch.stack([3.5 - ys, 3.5 - xs])[None]
    edge = torch.zeros(1, 1, grid, grid)
    outputs = iter([edge, disp])
    monkeypatch.setattr(model, '_branch', lambda *args: next(outputs))
    label = torch.ones(1, size, size, dtype=torch.long)
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=label)
    losses = model(torch.zeros(1, 3, size, size), [sample], mode='loss')
    assert losses['loss_dp_fg'] == 0 and losses['loss_dp_bg'] == 0
    # Boundary 0.5 everywhere: affinity 0.5 for every fg-positive pair.
    assert losses['loss_pos'].item() == pytest.approx(
        -torch.log(torch.tensor(0.5 + 1e-5)).item() / 4, rel=1e-4)


def test_mean_shift_tracks_the_mean_in_training_and_subtracts_it():
    shift = MeanShift(2, momentum=0.5)
    x = torch.ones(2, 2, 3, 3) * torch.tensor([2., -4.]).view(1, 2, 1, 1)
    assert torch.equal(shift(x), x)
    assert shift.running_mean.tolist() == [1., -2.]
    shift.eval()
    assert torch.equal(shift(x), x - torch.tensor([1., -2.]).view(1, 2, 1, 1))


class IdentityRefiner(BaseRefiner):
    """No affinity between pixels: the walk leaves the pooled CAMs as they
    are, so the masks show the pooling, background and id mapping."""

    def affinity_map(self, inputs):
        return inputs.new_zeros(len(inputs), 1,
                                *self.grid_size(*inputs.shape[-2:]))

    def pair_losses(self, inputs, label):
        raise NotImplementedError

    def dense_affinity(self, aff_map):
        return torch.eye(aff_map[0].numel()), None


def test_predict_maps_channels_to_ids_and_crops_padding():
    backbone = dict(BACKBONE, out_indices=(0, ))
    # IRN's background: 0.25 after normalising by the maximum.
    model = IdentityRefiner(backbone, stride=4, bg_thr=0.25, logt=2)
    cam = torch.zeros(2, 14, 18)
    cam[0, :, :8] = 0.8  # class 3, left
    cam[1, :, 12:] = 0.4  # class 0, right
    inputs = torch.randn(2, 3, 16, 20)  # padded by the preprocessor
    out = model(inputs, [
        cam_sample(cam, [3, 0], (14, 18)),
        cam_sample(torch.zeros(0, 16, 20), [], (16, 20))
    ], mode='predict')
    mask = out[0].pred_sem_seg.data
    assert mask.shape == (1, 14, 18) and mask.dtype == torch.long
    assert (mask[0, :, :6] == 4).all()  # key 3 -> id 4
    assert (mask[0, :8, 12:16] == 1).all()  # key 0 -> id 1; 0.5 > 0.25
    # The zero padding dilutes the cells at the image's corner (as PSA's).
    assert mask[0, -1, -1] == 0
    assert (mask[0, :, 9:11] == 0).all()
    # No labelled class: all background, at the image's size.
    assert out[1].pred_sem_seg.data.shape == (1, 16, 20)
    assert (out[1].pred_sem_seg.data == 0).all()


def test_predict_with_psa_background():
    model = IdentityRefiner(
        dict(BACKBONE, out_indices=(0, )), stride=8, bg_alpha=6, logt=1)
    cam = torch.zeros(1, 24, 24)
    cam[0, :12] = 1.
    cam[0, 12:] = 0.1  # (1 - 0.1) ** 6 = 0.53 > 0.1: background
    out = model.predict(
        torch.randn(1, 3, 24, 24), [cam_sample(cam, [5], (24, 24))])
    mask = out[0].pred_sem_seg.data[0]
    assert (mask[:8] == 6).all() and (mask[16:] == 0).all()


@pytest.mark.parametrize('bg', [dict(bg_thr=0.5), dict(bg_alpha=1)])
def test_class_norm_keeps_a_weak_small_object(bg):
    """A weak class beside a strong one: under IRN's single peak (or PSA's
    raw scores) it loses to the background; divided by its own peak it
    keeps its pixels."""
    cam = torch.zeros(2, 16, 16)
    cam[0, :, :8] = 1.  # class 0, strong and large
    cam[1, 8:, 12:] = 0.3  # class 1, weak and small
    masks = {}
    for class_norm in (False, True):
        model = IdentityRefiner(
            dict(BACKBONE, out_indices=(0, )), stride=4, logt=0,
            class_norm=class_norm, **bg)
        masks[class_norm] = model.predict(
            torch.randn(1, 3, 16, 16),
            [cam_sample(cam, [0, 1], (16, 16))])[0].pred_sem_seg.data[0]
    assert (masks[False][8:, 12:] == 0).all()
    assert (masks[True][10:, 13:] == 2).all()
    assert (masks[True][:, :6] == 1).all() and (masks[True][:8, 8:] == 0).all()


class FloodingRefiner(IdentityRefiner):
    """Every pixel is every other's neighbour: one step spreads a CAM evenly
    over the whole image, as a walk does through a boundary it missed."""

    def dense_affinity(self, aff_map):
        return torch.ones(aff_map[0].numel(), aff_map[0].numel()), None


@pytest.mark.parametrize('bg', [dict(bg_thr=0.5), dict(bg_alpha=1)])
def test_cam_mix_keeps_the_walk_within_the_cam(bg):
    cam = torch.zeros(1, 16, 16)
    cam[0, :, :8] = 1.
    masks = {}
    for cam_mix in (0., 0.5):
        model = FloodingRefiner(
            dict(BACKBONE, out_indices=(0, )), stride=4, logt=0,
            class_norm=True, cam_mix=cam_mix, **bg)
        masks[cam_mix] = model.predict(
            torch.randn(1, 3, 16, 16),
            [cam_sample(cam, [2], (16, 16))])[0].pred_sem_seg.data[0]
    # The flooded score reaches the right half, where the CAM is 0.
    assert (masks[0.][:, 8:] == 3).any()
    assert (masks[0.5][:, :8] == 3).all() and (masks[0.5][:, 8:] == 0).all()


@pytest.mark.parametrize('cam_mix', [-0.1, 1.5, True])
def test_cam_mix_out_of_range_is_refused(cam_mix):
    with pytest.raises(ValueError, match='cam_mix must be a number in'):
        IdentityRefiner(
            dict(BACKBONE, out_indices=(0, )), bg_thr=0.5, cam_mix=cam_mix)


@pytest.mark.parametrize('build', [affinity_net, irnet])
def test_predict_sizes_and_ids(build):
    torch.manual_seed(0)
    model = build().eval()
    cam = torch.rand(2, 30, 27)
    inputs = torch.randn(2, 3, 32, 32)
    out = model.test_step(
        dict(
            inputs=list(inputs * 50 + 128),
            data_samples=[
                cam_sample(cam, [1, 4], (30, 27)),
                cam_sample(torch.zeros(0, 32, 32), [], (32, 32))
            ]))
    mask = out[0].pred_sem_seg.data
    assert mask.shape == (1, 30, 27)
    assert set(mask.unique().tolist()) <= {0, 2, 5}
    assert (out[1].pred_sem_seg.data == 0).all()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='exactly one'):
        affinity_net(bg_thr=0.25)
    with pytest.raises(ValueError, match='exactly one'):
        irnet(bg_thr=None)
    with pytest.raises(ValueError, match='in_channels'):
        affinity_net(level_channels=(64, 128))
    model = irnet()
    with pytest.raises(ValueError, match='mode'):
        model(torch.zeros(1, 3, 8, 8), mode='cam')
    with pytest.raises(ValueError, match='LoadCAM'):
        model.predict(
            torch.zeros(1, 3, 8, 8),
            [SegDataSample(metainfo=dict(img_shape=(8, 8)))])
    with pytest.raises(ValueError, match='CAM of'):
        model.predict(
            torch.zeros(1, 3, 8, 8),
            [cam_sample(torch.zeros(1, 7, 8), [0], (8, 8))])


@pytest.mark.parametrize('name', [
    'seam/affinitynet_r38d_4xb2-8e_voc12aug-448x448',
    'irn/irn_r50_4xb8-3e_voc12aug-512x512'])
def test_voc_configs_train_a_step_and_predict(name):
    init_default_scope('mmconta')
    cfg = Config.fromfile(str(REPO / f'configs/{name}.py'))
    drop_pretrained(cfg.model)
    model = MODELS.build(cfg.model)
    assert isinstance(model, (AffinityNet, IRNet))
    torch.manual_seed(0)
    model.train()
    losses = model(
        torch.randn(1, 3, 64, 64), [train_sample(64)], mode='loss')
    sum(losses.values()).backward()
    assert all(torch.isfinite(v) for v in losses.values())
    model.eval()
    out = model.predict(
        torch.randn(1, 3, 64, 64),
        [cam_sample(torch.rand(1, 60, 64), [14], (60, 64))])
    assert out[0].pred_sem_seg.data.shape == (1, 60, 64)
    assert set(out[0].pred_sem_seg.data.unique().tolist()) <= {0, 15}
