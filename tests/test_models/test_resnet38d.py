"""ResNet38d: stage shapes, size, frozen BN, gradients, PSA key names."""
import pytest
import torch
from mmengine.registry import init_default_scope

import mmconta.models.backbones  # noqa: F401  (registers ResNet38d)
from mmconta.registry import MODELS

# (channels, side) of each activated stage output for a 64x64 input:
# b2 stride 2, b3 stride 4, b4-b7 stride 8 (PSA's network/resnet38d.py).
STAGES = [(128, 32), (256, 16), (512, 8), (1024, 8), (2048, 8), (4096, 8)]


def build(**kwargs):
    init_default_scope('mmconta')
    return MODELS.build(dict(type='ResNet38d', **kwargs))


def image():
    torch.manual_seed(0)
    return torch.randn(1, 3, 64, 64)


def reference_param_count():
    """Parameters of PSA's resnet38d.Net, layer by layer from its __init__.

    Convolutions are bias-free; each BN has a weight and a bias.
    """

    def basic(cin, mid, cout, project):
        return (2 * cin + cin * mid * 9 + 2 * mid + mid * cout * 9 +
                (cin * cout if project else 0))

    def bottleneck(cin, cout):
        q, h = cout // 4, cout // 2
        return (2 * cin + cin * q + 2 * q + q * h * 9 + 2 * h + h * cout +
                cin * cout)

    return (3 * 64 * 9  # conv1a
            + basic(64, 128, 128, True) + 2 * basic(128, 128, 128, False)
            + basic(128, 256, 256, True) + 2 * basic(256, 256, 256, False)
            + basic(256, 512, 512, True) + 5 * basic(512, 512, 512, False)
            + basic(512, 512, 1024, True)
            + 2 * basic(1024, 512, 1024, False)
            + bottleneck(1024, 2048) + bottleneck(2048, 4096)
            + 2 * 4096)  # bn7


@pytest.fixture(scope='module')
def backbone():
    return build().eval()


@pytest.fixture(scope='module')
def outputs(backbone):
    with torch.no_grad():
        return backbone(image())


@pytest.mark.parametrize('index', range(6))
def test_stage_output_shape(backbone, outputs, index):
    channels, side = STAGES[index]
    assert outputs[index].shape == (1, channels, side, side)
    assert backbone.out_channels[index] == channels
    # Outputs are BN-ReLU'd, as SEAM's forward_as_dict returns them.
    assert (outputs[index] >= 0).all()


def test_parameter_count_and_psa_names(backbone):
    count = sum(p.numel() for p in backbone.parameters())
    assert reference_param_count() == 105_070_912
    assert count == reference_param_count()
    shapes = {k: tuple(v.shape) for k, v in backbone.state_dict().items()}
    # PSA's names, so its converted ImageNet weights load by name.
    assert shapes['conv1a.weight'] == (64, 3, 3, 3)
    assert shapes['b4_5.conv_branch2b1.weight'] == (512, 512, 3, 3)
    assert shapes['b5.conv_branch2a.weight'] == (512, 512, 3, 3)
    assert shapes['b5_2.conv_branch2a.weight'] == (512, 1024, 3, 3)
    assert shapes['b6.conv_branch2b1.weight'] == (1024, 512, 3, 3)
    assert shapes['b7.conv_branch2b2.weight'] == (4096, 2048, 1, 1)
    assert shapes['bn7.running_var'] == (4096, )
    assert 'b4_6.bn_branch2a.weight' not in shapes
    assert backbone.b5.conv_branch2a.dilation == (1, 1)
    assert backbone.b5_1.conv_branch2a.dilation == (2, 2)
    assert backbone.b7.conv_branch2b1.dilation == (4, 4)
    assert backbone.b6.dropout_2b1.p == 0.3
    assert backbone.b7.dropout_2b2.p == 0.5


def test_out_indices_select_the_same_features(backbone, outputs):
    seam = build(out_indices=(2, 3, 5))  # SEAM's conv4, conv5, conv6
    seam.load_state_dict(backbone.state_dict())
    seam.eval()
    assert seam.out_channels == (512, 1024, 4096)
    with torch.no_grad():
        selected = seam(image())
    assert len(selected) == 3
    for got, index in zip(selected, (2, 3, 5)):
        torch.testing.assert_close(got, outputs[index])


def test_bad_arguments():
    with pytest.raises(ValueError, match='out_indices'):
        build(out_indices=(6, ))
    with pytest.raises(ValueError, match='out_indices'):
        build(out_indices=())
    with pytest.raises(ValueError, match='frozen_stages'):
        build(frozen_stages=7)
    with pytest.raises(ValueError, match='dropout_ratios'):
        build(dropout_ratios=(0.3, ))


def test_norm_eval_frozen_stages_and_backward():
    # PSA's and SEAM's training set-up: all BN fixed, stem and b2 fixed.
    model = build(out_indices=(5, ), frozen_stages=1, norm_eval=True,
                  norm_cfg=dict(type='BN', requires_grad=False))
    model.train()
    assert model.b7.dropout_2b2.training  # dropout stays on
    assert not model.bn7.training and not model.b3.bn_branch2a.training
    stats = {k: v.clone() for k, v in model.state_dict().items()
             if 'running' in k}
    feat, = model(image())
    feat.square().mean().backward()
    for key, value in model.state_dict().items():
        if 'running' in key:
            torch.testing.assert_close(value, stats[key], msg=key)
    assert model.conv1a.weight.grad is None
    assert model.b2_2.conv_branch2b1.weight.grad is None
    assert model.b7.bn_branch2a.weight.grad is None  # requires_grad=False
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert model.b3.conv_branch2a.weight.grad.abs().sum() > 0
    # Without norm_eval, training updates the statistics.
    model.norm_eval = False
    model.train()
    with torch.no_grad():
        model(image())
    assert not torch.equal(model.bn7.running_mean, stats['bn7.running_mean'])
    # frozen_stages=1 keeps b2 in eval mode even without norm_eval.
    assert not model.b2.bn_branch2a.training


def test_pretrained_init_cfg_loads_psa_names(tmp_path):
    # A slice of a converted PSA state dict (no num_batches_tracked, as
    # convert_mxnet_to_torch writes it): loaded by name, the rest kept.
    torch.manual_seed(1)
    weights = {
        'conv1a.weight': torch.randn(64, 3, 3, 3),
        'b2.bn_branch2a.running_mean': torch.randn(64),
        'bn7.bias': torch.randn(4096),
    }
    checkpoint = tmp_path / 'resnet38d_ilsvrc.pth'
    torch.save(weights, checkpoint)
    model = build(init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint)))
    model.init_weights()
    state = model.state_dict()
    for key, value in weights.items():
        torch.testing.assert_close(state[key], value, msg=key)


def test_cam_classifier_with_resnet38d():
    init_default_scope('mmconta')
    model = MODELS.build(
        dict(type='CAMClassifier',
             backbone=dict(type='ResNet38d', out_indices=(5, )),
             head=dict(type='CAMHead', in_channels=4096, num_classes=20)))
    model.eval()
    with torch.no_grad():
        cams = model.cam(image())
        logits = model(image())
    assert cams.shape == (1, 20, 8, 8)
    assert logits.shape == (1, 20)
    torch.testing.assert_close(cams.mean((2, 3)), logits)
