"""SeedMetric and PseudoMaskMetric on hand-built cases."""
import numpy as np
import pytest
import torch

from mmconta.evaluation import PseudoMaskMetric, SeedMetric

META = dict(classes=('background', 'a', 'b'))


def seed_sample(context=None):
    # One row of 4 pixels; class a (key 0) in the first two.
    sample = dict(
        cams=np.array([[[0.9, 0.3, 0.3, 0.0]]], np.float32),
        cam_keys=np.array([0]),
        gt_sem_seg=dict(data=np.array([[[1, 1, 0, 0]]])))
    if context is not None:
        sample['gt_context'] = dict(data=np.array([context]))
    return sample


def make(metric_cls, **kwargs):
    metric = metric_cls(**kwargs)
    metric.dataset_meta = META
    return metric


def test_threshold_sweep():
    metric = make(SeedMetric, thresholds=(0.2, 0.5), bg_thr=0.2)
    metric.process(None, [seed_sample()])
    result = metric.evaluate(1)
    # At 0.2: pred [1,1,1,0] -> bg IoU 1/2, a IoU 2/3 (b absent: NaN).
    assert result['seed/mIoU'] == pytest.approx(100 * (0.5 + 2 / 3) / 2)
    # At 0.5: pred [1,0,0,0] -> bg 2/3, a 1/2: the same mean, ties -> first.
    assert result['seed/best_thr'] in (0.2, 0.5)
    assert result['seed/best_mIoU'] == pytest.approx(result['seed/mIoU'])


def test_two_ranks_with_unequal_shares_equal_one():
    samples = [seed_sample(), seed_sample(), seed_sample()]
    samples[1]['cams'] = samples[1]['cams'][:, :, ::-1].copy()
    one = make(SeedMetric)
    one.process(None, samples)
    rank0, rank1 = make(SeedMetric), make(SeedMetric)
    rank0.process(None, samples[:1])
    rank1.process(None, samples[1:])
    assert len(one.results) == len(rank0.results) == len(rank1.results) == 1
    merged = make(SeedMetric)
    assert merged.compute_metrics(rank0.results + rank1.results) == \
        one.compute_metrics(one.results)


def test_context_share():
    metric = make(SeedMetric, bg_thr=0.2)
    # Seeds of a at 0.2: pixels 0, 1, 2; pixel 2 is a's context (id 1).
    metric.process(None, [seed_sample(context=[[0, 0, 1, 2]])])
    result = metric.evaluate(1)
    assert result['seed/context_share'] == pytest.approx(100 / 3)
    assert result['seed/context_share.a'] == pytest.approx(100 / 3)
    # Pixel 2 is on a context (its own); pixel 3 (id 2) holds no seed.
    assert result['seed/any_context_share'] == pytest.approx(100 / 3)


def test_pseudo_mask_metric_leaves_ignore_out():
    metric = make(PseudoMaskMetric)
    metric.process(None, [dict(
        pred_sem_seg=dict(data=torch.tensor([[[1, 255, 0, 0]]])),
        gt_sem_seg=dict(data=torch.tensor([[[1, 1, 0, 255]]])))])
    result = metric.evaluate(1)
    # Counted pixels: 0 (a, a) and 2 (bg, bg): both IoU 1.
    assert result['mask/mIoU'] == pytest.approx(100)
    assert result['mask/ignore_ratio'] == pytest.approx(100 / 3)


def test_a_rank_without_images_contributes_zeros():
    metric = make(PseudoMaskMetric)
    assert metric.evaluate(1)['mask/ignore_ratio'] == 0

