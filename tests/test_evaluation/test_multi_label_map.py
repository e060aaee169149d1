"""MultiLabelMAP against hand-computed average precision."""
import math

import pytest
import torch

from mmconta.evaluation import MultiLabelMAP
from mmconta.evaluation.metrics.multi_label_map import average_precision


def run(scores, labels, classes=None):
    metric = MultiLabelMAP()
    metric.dataset_meta = dict(classes=classes) if classes else None
    metric.process({}, [
        dict(pred_img_scores=torch.tensor(s), gt_img_labels=torch.tensor(l))
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
