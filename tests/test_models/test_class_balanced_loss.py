"""ClassBalancedCrossEntropyLoss: plain cross-entropy at power 0, equal
class totals at power 1, a drop-in loss_decode for mmseg's heads."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmconta.models.losses import ClassBalancedCrossEntropyLoss
from mmconta.registry import MODELS


def batch(seed=0):
    torch.manual_seed(seed)
    logits = torch.randn(2, 4, 8, 8, requires_grad=True)
    label = torch.zeros(2, 8, 8, dtype=torch.long)
    label[0, :2, :2] = 1  # 4 pixels of class 1
    label[1, 4:, 4:] = 2  # 16 of class 2; class 3 absent
    label[:, -1] = 255
    return logits, label


def test_power_zero_is_plain_cross_entropy():
    logits, label = batch()
    loss = ClassBalancedCrossEntropyLoss(power=0)(logits, label)
    assert torch.allclose(loss, F.cross_entropy(logits, label,
                                                ignore_index=255))


def test_power_one_gives_present_classes_equal_totals():
    _, label = batch()
    weights = ClassBalancedCrossEntropyLoss(power=1).class_weights(
        label, 4, 255)
    counts = torch.bincount(label[label != 255], minlength=4).float()
    totals = weights * counts
    assert weights[3] == 0
    assert torch.allclose(totals[:3], totals[:3].mean().expand(3))
    # Weighted mean over labelled pixels: total weight = labelled pixels.
    assert torch.isclose(totals.sum(), counts.sum())


def test_rare_class_weighs_more_and_gradients_flow():
    logits, label = batch()
    weights = ClassBalancedCrossEntropyLoss().class_weights(label, 4, 255)
    assert weights[1] > weights[2] > weights[0] > 0
    loss = ClassBalancedCrossEntropyLoss()(
        logits, label, weight=torch.ones(2, 8, 8))
    loss.backward()
    assert torch.isfinite(loss) and logits.grad.abs().sum() > 0
    assert (logits.grad[:, :, -1] == 0).all()  # ignored row


def test_all_ignored_gives_zero_and_bad_power_is_refused():
    logits, label = batch()
    loss = ClassBalancedCrossEntropyLoss()(logits, torch.full_like(label,
                                                                   255))
    assert loss.item() == 0
    with pytest.raises(ValueError, match='power'):
        ClassBalancedCrossEntropyLoss(power=-1)
    with pytest.raises(ValueError, match='softmax'):
        ClassBalancedCrossEntropyLoss(use_sigmoid=True)


def test_builds_as_an_mmseg_decode_head_loss():
    init_default_scope('mmconta')
    head = MODELS.build(
        dict(
            type='FCNHead',
            in_channels=8,
            channels=8,
            num_convs=1,
            num_classes=4,
            # mmseg's CrossEntropyLoss config with only the type changed.
            loss_decode=dict(
                type='ClassBalancedCrossEntropyLoss',
                use_sigmoid=False,
                loss_weight=1.0)))
    logits, label = batch()
    samples = [SegDataSample(gt_sem_seg=PixelData(data=m[None]))
               for m in label]
    losses = head.loss_by_feat(logits, samples)
    assert set(losses) == {'loss_ce', 'acc_seg'}
    assert torch.isfinite(losses['loss_ce'])
