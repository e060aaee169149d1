"""Where CONTA's M enters: classifier, backbone stage k, or the input."""
import copy

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmconta.engine import multi_scale_cams, prepare_cam_model
from mmconta.registry import MODELS

NUM_CLASSES = 3

BACKBONES = {
    'mmseg_resnet': dict(type='ResNet', depth=18, stem_channels=8,
                         base_channels=8, strides=(1, 2, 1, 1),
                         dilations=(1, 1, 1, 1), out_indices=(3, )),
    'mmpretrain_resnet': dict(type='mmpretrain.ResNet', depth=18,
                              stem_channels=8, base_channels=8,
                              out_indices=(3, )),
    'resnet38d': dict(type='ResNet38d', out_indices=(5, )),
}
CHANNELS = dict(mmseg_resnet=64, mmpretrain_resnet=64, resnet38d=4096)


@pytest.fixture
def bank_file(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / 'confounder_bank.npz'
    np.savez(path, confounders=rng.random((NUM_CLASSES, 8, 8)).astype(
        np.float32), prior=np.full(NUM_CLASSES, 1 / NUM_CLASSES, np.float32),
             counts=np.ones(NUM_CLASSES, int),
             classes=np.array(['a', 'b', 'c']))
    return str(path)


def classifier(backbone='mmseg_resnet', bank_file=None, **head):
    """A CAM classifier, plain (no ``bank_file``) or with CONTA's head."""
    head_cfg = dict(type='CAMHead', in_channels=CHANNELS[backbone],
                    num_classes=NUM_CLASSES)
    if bank_file is not None:
        head_cfg.update(type='ContextAdjustedCAMHead', bank_file=bank_file,
                        **head)
    torch.manual_seed(0)
    return MODELS.build(dict(type='CAMClassifier',
                             backbone=BACKBONES[backbone], head=head_cfg))


def samples(n=2, size=32, shift=0):
    out = []
    for i in range(n):
        sample = SegDataSample()
        mask = torch.zeros(1, size, size, dtype=torch.long)
        mask[:, :size // 2 + 4 * i + shift, :size // 2] = 1 + i
        sample.prev_mask = PixelData(data=mask)
        sample.gt_img_labels = torch.eye(NUM_CLASSES)[i]
        out.append(sample)
    return out


def plain_weights(model):
    """The state dict without CONTA's own weights and buffers."""
    return {k: v for k, v in model.state_dict().items()
            if k.split('.')[1] not in ('context_conv', 'query', 'key',
                                       'confounders', 'prior')}


INJECTS = ['classifier', 'stage1', 'stage2', 'stage3', 'input']


@pytest.mark.parametrize('backbone', list(BACKBONES))
@pytest.mark.parametrize('inject', INJECTS)
def test_widened_network_is_the_plain_one_at_initialisation(
        bank_file, backbone, inject):
    if backbone == 'resnet38d' and inject in ('stage1', 'stage3'):
        pytest.skip('one stage placement suffices for the large network')
    model = classifier(backbone, bank_file, inject=inject).eval()
    plain = classifier(backbone).eval()
    plain.load_state_dict(
        {k: v for k, v in plain_weights(model).items()
         if not (k == 'head.classifier.weight')}, strict=False)
    plain.head.classifier.weight.data.copy_(
        model.head.classifier.weight[:, :CHANNELS[backbone]])
    inputs = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = plain(inputs)
        for shift in (0, 8):  # whatever x_m, hence whatever M
            got = model(inputs, samples(shift=shift))
            torch.testing.assert_close(got, expected)
    assert got.shape == (2, NUM_CLASSES)
    # The backbone keeps its state-dict keys: CONTA's weights are the head's.
    assert set(plain.state_dict()) <= set(model.state_dict())


@pytest.mark.parametrize('inject', ['stage1', 'stage2', 'stage3', 'input'])
def test_gradients_reach_the_new_weights_and_cams_follow_x_m(
        bank_file, inject):
    model = classifier('mmseg_resnet', bank_file, inject=inject)
    assert model.context_at_cam
    weight = model.head.context_conv.weight
    assert weight.abs().sum() == 0
    inputs = torch.randn(2, 3, 32, 32)
    loss = model(inputs, samples(), mode='loss')['loss_cls']
    loss.backward()
    assert weight.grad is not None and weight.grad.abs().sum() > 0
    # After a training step the CAMs depend on x_m. M varies with x_m only
    # through the attention alpha, nearly uniform at the authors'
    # initialisation (W ~ N(0, 0.02)): sharpen it as training would.
    # A large step on w_M alone keeps the rest of the network sane.
    torch.optim.SGD([weight], lr=100.0).step()
    assert weight.abs().sum() > 0
    with torch.no_grad():
        model.head.query.weight.mul_(200)
    model.eval()
    with torch.no_grad():
        cams = [model.cam(inputs, model.context(samples(shift=s), inputs))
                for s in (0, 8)]
    assert cams[0].shape == (2, NUM_CLASSES, 4, 4)
    assert (cams[0] - cams[1]).abs().max() > 1e-4 * cams[0].abs().max()


def test_classifier_placement_cams_with_and_without_m(bank_file):
    model = classifier('mmseg_resnet', bank_file)
    assert not model.context_at_cam
    with torch.no_grad():
        model.head.classifier.weight[:, -1] = 1.0
    inputs = torch.randn(2, 3, 32, 32)
    context = model.context(samples(), inputs)
    plain_cam = model.cam(inputs)
    with_m = classifier('mmseg_resnet', bank_file, cam_with_context=True)
    with_m.load_state_dict(model.state_dict())
    assert with_m.context_at_cam
    torch.testing.assert_close(
        with_m.cam(inputs, context) - plain_cam,
        torch.nn.functional.interpolate(context, (4, 4), mode="bilinear")
        .expand(-1, NUM_CLASSES, -1, -1))
    with pytest.raises(ValueError, match='need M'):
        with_m.cam(inputs)


def test_multi_scale_cams_flip_m_with_the_image(bank_file):
    model = classifier('mmseg_resnet', bank_file, inject='stage2')
    with torch.no_grad():
        model.head.context_conv.weight.normal_()
    inputs = torch.randn(1, 3, 32, 32)
    sample = samples(1)
    context = model.context(sample, inputs)
    keys = [torch.arange(NUM_CLASSES)]
    prepared = prepare_cam_model(model)
    # The copy's hook reads the copy's head, not the original's.
    assert prepared.head is not model.head
    original = multi_scale_cams(prepared, inputs, keys, scales=(1.0, ),
                                flip=True, output_stride=8, context=context)
    mirrored = multi_scale_cams(prepared, inputs.flip(-1), keys,
                                scales=(1.0, ), flip=True, output_stride=8,
                                context=context.flip(-1))
    torch.testing.assert_close(original[0][1], mirrored[0][1].flip(-1),
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(RuntimeError, match='not set'):
        prepared.cam(inputs)


def test_bad_placements(bank_file):
    with pytest.raises(ValueError, match='k must be in 1..3'):
        classifier('mmseg_resnet', bank_file, inject='stage4')
    with pytest.raises(ValueError, match='inject must be one of'):
        classifier('mmseg_resnet', bank_file, inject='layer2')
    with pytest.raises(ValueError, match='cam_with_context'):
        classifier('mmseg_resnet', bank_file, inject='stage2',
                   cam_with_context=True)
    model = classifier('mmseg_resnet', bank_file, inject='stage2')
    copy.deepcopy(model)  # hooks survive a copy


def test_soft_x_m_is_the_probability(bank_file):
    binary = classifier('mmseg_resnet', bank_file).head
    soft = classifier('mmseg_resnet', bank_file, x_m='soft').head
    mask = torch.tensor([[[0, 127, 254, 255]]])
    torch.testing.assert_close(binary._foreground(mask),
                               torch.tensor([[[0., 1., 1., 0.]]]))
    torch.testing.assert_close(soft._foreground(mask),
                               torch.tensor([[[0., 0.5, 1., 0.]]]))
    with pytest.raises(ValueError, match='x_m'):
        classifier('mmseg_resnet', bank_file, x_m='hard')
