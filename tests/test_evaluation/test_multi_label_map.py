"""MultiLabelMAP against hand-computed average precision and against
mmpretrain's AveragePrecision."""
import math

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mmconta.evaluation import MultiLabelMAP
from mmconta.evaluation.metrics.multi_label_map import average_precision
from mmconta.registry import METRICS


def run(scores, labels, classes=None):
    metric = MultiLabelMAP()
    metric.dataset_meta = dict(classes=classes) if classes else None
    metric.process({}, [
        dict(pred_img_scores=torch.tensor(s), gt_img_labels=torch.tensor(l))
        for s, l in zip(scores, labels)
    ])
    return metric.evaluate(len(scores))


def run_mmpretrain(scores, labels):
    """mmpretrain's metric as an mmconta config would name it."""
    init_default_scope('mmconta')
    metric = METRICS.build(
        dict(type='mmpretrain.AveragePrecision', prefix='cls'))
    metric.process({}, [
        dict(pred_score=torch.tensor(s), gt_score=torch.tensor(l))
        for s, l in zip(scores, labels)
    ])
    return metric.evaluate(len(scores))


def test_hand_computed_map():
    # Class a: ranked pos, neg, pos -> AP = (1/1 + 2/3) / 2 = 5/6.
    # Class b: ranked neg, pos, neg -> AP = 1/2.
    # Class c: no positive -> left out of the mean.
    scores = [[0.9, 0.8, 0.1], [0.6, 0.7, 0.2], [0.3, 0.1, 0.3]]
    labels = [[1., 0., 0.], [0., 1., 0.], [1., 0., 0.]]
    result = run(scores, labels, ('background', 'a', 'b', 'c'))
    assert result == {'cls/mAP': pytest.approx((5 / 6 + 1 / 2) / 2 * 100)}
    assert type(result['cls/mAP']) is float


def test_ties_do_not_depend_on_order():
    # Two tied images, one positive: precision 1/2 at the tie, whatever the
    # order.
    assert average_precision(
        torch.tensor([0.5, 0.5]).numpy(),
        torch.tensor([0., 1.]).numpy()) == pytest.approx(0.5)
    assert average_precision(
        torch.tensor([0.5, 0.5]).numpy(),
        torch.tensor([1., 0.]).numpy()) == pytest.approx(0.5)


def test_without_class_names_and_without_positives():
    assert run([[0.2, 0.4]], [[1., 0.]])['cls/mAP'] == pytest.approx(100)
    assert math.isnan(run([[0.2, 0.4]], [[0., 0.]])['cls/mAP'])


def test_class_count_mismatch_raises():
    with pytest.raises(ValueError, match='2 scores per image'):
        run([[0.2, 0.4]], [[1., 0.]], ('background', 'a', 'b', 'c'))


def test_mmpretrain_agrees_only_without_ties_and_empty_classes():
    # Every class has a positive, no scores tie: the same mAP.
    rng = np.random.default_rng(0)
    scores = rng.random((50, 6)).astype(np.float32).tolist()
    labels = (rng.random((50, 6)) < 0.3).astype(np.float32)
    assert labels.any(0).all()
    labels = labels.tolist()
    ours = run(scores, labels)['cls/mAP']
    assert ours == pytest.approx(34.4231, abs=1e-4)
    assert run_mmpretrain(scores, labels)['cls/mAP'] == pytest.approx(ours)

    # A class without a positive: AP 0 in mmpretrain's mean, left out here.
    scores = [[0.9, 0.8, 0.1], [0.6, 0.7, 0.2], [0.3, 0.1, 0.3]]
    labels = [[1., 0., 0.], [0., 1., 0.], [1., 0., 0.]]
    assert run(scores, labels)['cls/mAP'] == pytest.approx(200 / 3)
    assert run_mmpretrain(scores, labels)['cls/mAP'] == pytest.approx(400 / 9)

    # Ties: mmpretrain's AP depends on the order of the tied images.
    tied = [[0.5], [0.5]]
    assert {run_mmpretrain(tied, [[0.], [1.]])['cls/mAP'],
            run_mmpretrain(tied, [[1.], [0.]])['cls/mAP']} == {50., 100.}
    assert run(tied, [[0.], [1.]]) == run(tied, [[1.], [0.]]) == \
        {'cls/mAP': 50.}

    # No positive at all.
    assert run_mmpretrain([[0.2, 0.4]], [[0., 0.]])['cls/mAP'] == 0
