"""PseudoMaskMetric: ignore pixels left out and reported, ranks merged."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmconta.evaluation import PseudoMaskMetric
from mmconta.evaluation.functional import intersect_and_union

META = dict(classes=('background', 'a', 'b'))


def make(**kwargs):
    metric = PseudoMaskMetric(**kwargs)
    metric.dataset_meta = META
    return metric


def test_pseudo_mask_metric_leaves_ignore_out():
    metric = make()
    metric.process(None, [
        dict(pred_sem_seg=dict(data=torch.tensor([[[1, 255, 1, 0, 2]]],
                                                 dtype=torch.uint8)),
             gt_sem_seg=dict(data=torch.tensor([[[1, 1, 0, 0, 2]]]))),
        dict(pred_sem_seg=dict(data=np.array([[[0, 255]]], np.uint8)),
             gt_sem_seg=dict(data=np.array([[[0, 255]]]))),
    ])
    result = metric.evaluate(2)
    # Counted (pred, label): (1,1) (1,0) (0,0) (2,2) (0,0): bg 2/3, a 1/2,
    # b 1. Ignored: 1 of the 6 labelled pixels.
    assert result['mask/mIoU'] == pytest.approx(100 * (2 / 3 + 1 / 2 + 1) / 3)
    assert result['mask/ignore_ratio'] == pytest.approx(100 / 6)


def test_a_rank_without_images_contributes_zeros():
    empty, full = make(), make()
    # No image, so no ground truth: no figure rather than a NaN.
    assert empty.evaluate(1) == {}
    full.process(None, [dict(pred_sem_seg=dict(data=np.ones((1, 2, 2))),
                             gt_sem_seg=dict(data=np.ones((1, 2, 2))))])
    empty.results.append(empty.zero_state())
    assert empty.compute_metrics(empty.results + full.results) == \
        full.compute_metrics(full.results)


def test_intersect_and_union_excludes_ignore_in_pred_and_label():
    inter, union, pred, label = intersect_and_union(
        np.array([0, 1, 255, 2, 1]), np.array([0, 1, 1, 255, 2]), 3)
    # Counted (pred, label): (0, 0) (1, 1) (1, 2).
    assert inter.tolist() == [1, 1, 0] and union.tolist() == [1, 2, 1]
    assert pred.tolist() == [1, 2, 0] and label.tolist() == [1, 1, 1]
    assert inter.dtype == torch.int64
    with pytest.raises(ValueError, match='pred holds id 3'):
        intersect_and_union(np.array([3]), np.array([0]), 3)


def test_forms_of_samples_agree_and_ranks_merge():
    rng = np.random.default_rng(0)
    preds = [rng.integers(0, 3, (4, 5)).astype(np.uint8) for _ in range(5)]
    labels = [rng.integers(0, 3, (4, 5)) for _ in range(5)]
    for p in preds:
        p[rng.random((4, 5)) < 0.2] = 255
    as_dicts = [dict(pred_sem_seg=dict(data=p[None]),
                     gt_sem_seg=dict(data=g[None]))
                for p, g in zip(preds, labels)]
    as_samples = [SegDataSample(pred_sem_seg=PixelData(data=torch.from_numpy(
        p[None])), gt_sem_seg=PixelData(data=torch.from_numpy(g[None])))
                  for p, g in zip(preds, labels)]
    as_arrays = [dict(pred_sem_seg=p, gt_sem_seg=g)
                 for p, g in zip(preds, labels)]
    one = make()
    one.process(None, as_dicts)
    expected = one.compute_metrics(one.results)
    for samples in (as_samples, as_arrays):
        other = make()
        other.process(None, samples)
        assert other.compute_metrics(other.results) == expected
    # Two ranks with 2 and 3 images: one entry each, the same result.
    rank0, rank1 = make(), make()
    rank0.process(None, as_dicts[:2])
    rank1.process(None, as_dicts[2:])
    assert len(rank0.results) == len(rank1.results) == 1
    assert make().compute_metrics(rank0.results + rank1.results) == expected


def test_no_ground_truth_gives_no_figure():
    metric = make()
    metric.process(None, [dict(pred_sem_seg=dict(data=np.ones((1, 2, 2))))])
    assert metric.evaluate(1) == {}
    with pytest.raises(ValueError, match='needs pred_sem_seg'):
        metric.process(None, [dict(gt_sem_seg=dict(data=np.ones((1, 2, 2))))])
