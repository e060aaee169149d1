"""SeedMetric and its pixel statistics, hand-checked."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmconta.evaluation import SeedMetric
from mmconta.evaluation.functional import (intersect_and_union,
                                           seed_sweep_areas)
from mmconta.models.utils import cam_argmax, cam_to_seed

META = dict(classes=('background', 'a', 'b'))


def make(metric_cls, **kwargs):
    metric = metric_cls(**kwargs)
    metric.dataset_meta = META
    return metric


def sample(cams, keys, label, context=None):
    out = dict(
        cams=np.asarray(cams, np.float32),
        cam_keys=np.asarray(keys),
        gt_sem_seg=dict(data=np.asarray(label)[None]))
    if context is not None:
        out['gt_context'] = dict(data=np.asarray(context, np.uint8)[None])
    return out


# Image 1 (2 x 3) shows a and b; image 2 (1 x 4) shows b, one pixel ignored.
SAMPLES = [
    sample([[[0.8, 0.4, 0.1], [0.0, 0.0, 0.0]],
            [[0.0, 0.0, 0.0], [0.7, 0.3, 0.1]]], [0, 1],
           [[1, 1, 0], [2, 0, 0]]),
    sample([[[0.9, 0.35, 0.1, 0.6]]], [1], [[2, 2, 0, 255]]),
]


def test_threshold_sweep_by_hand():
    metric = make(SeedMetric, thresholds=(0.2, ), bg_thr=0.5)
    metric.process(None, SAMPLES)
    result = metric.evaluate(2)
    # At 0.5: seeds [[1,0,0],[2,0,0]] and [2,0,0,-]:
    # bg 4/6, a 1/2, b 2/3.
    assert result['seed/mIoU'] == pytest.approx(100 * 11 / 18)
    # At 0.2: seeds [[1,1,0],[2,2,0]] and [2,2,0,-]: bg 3/4, a 1, b 3/4.
    assert result['seed/best_mIoU'] == pytest.approx(100 * 2.5 / 3)
    assert result['seed/best_thr'] == 0.2
    assert all(type(v) is float for v in result.values())
    assert len(metric.results) == 0  # cleared after evaluation


def test_default_sweep_holds_bg_thr_once():
    metric = SeedMetric()
    assert metric.thresholds == tuple(
        round(0.05 * i, 2) for i in range(1, 20))
    assert metric.thresholds.count(0.15) == 1 and metric.bg_thr == 0.15
    assert SeedMetric(thresholds=(0.3, ), bg_thr=0.26).thresholds == \
        (0.26, 0.3)


def test_sweep_areas_equal_per_threshold_intersect_and_union():
    rng = np.random.default_rng(0)
    thresholds = (0.1, 0.15, 0.3, 0.5, 0.9)
    cams = rng.random((3, 17, 13)).astype(np.float32)
    keys = np.array([4, 0, 2])
    label = rng.integers(0, 6, (17, 13))
    label[:2] = 255
    peak, best = cam_argmax(cams, keys)
    areas = seed_sweep_areas(peak, best, label, thresholds, 6)
    assert areas.shape == (5, 3, 6) and areas.dtype == torch.int64
    for i, thr in enumerate(thresholds):
        inter, union, pred, lab = intersect_and_union(
            cam_to_seed(cams, keys, thr), label, 6)
        torch.testing.assert_close(areas[i], torch.stack([inter, pred, lab]))
        torch.testing.assert_close(union, pred + lab - inter)


def test_two_ranks_give_the_result_of_one():
    rng = np.random.default_rng(1)
    samples = SAMPLES + [
        sample(rng.random((2, 5, 6)), [0, 1], rng.integers(0, 3, (5, 6)),
               context=rng.integers(0, 4, (5, 6))) for _ in range(3)
    ]
    one = make(SeedMetric)
    one.process(None, samples)
    rank0, rank1 = make(SeedMetric), make(SeedMetric)
    rank0.process(None, samples[:1])
    rank1.process(None, samples[1:3])
    rank1.process(None, samples[3:])
    # Memory does not grow with images: one running sum per rank.
    assert len(one.results) == len(rank0.results) == len(rank1.results) == 1
    merged = make(SeedMetric)
    expected = one.compute_metrics(one.results)
    assert 'seed/context_share' not in expected  # prefix is added later
    assert merged.compute_metrics(rank0.results + rank1.results) == expected


def test_data_samples_and_dicts_agree():
    data_samples = []
    for s in SAMPLES:
        data_sample = SegDataSample()
        data_sample.cams = torch.from_numpy(s['cams'])
        data_sample.cam_keys = torch.from_numpy(s['cam_keys'])
        data_sample.gt_sem_seg = PixelData(
            data=torch.from_numpy(s['gt_sem_seg']['data']))
        data_samples.append(data_sample)
    from_dicts, from_samples = make(SeedMetric), make(SeedMetric)
    from_dicts.process(None, SAMPLES)
    from_samples.process(None, data_samples)
    assert from_dicts.evaluate(2) == from_samples.evaluate(2)


def test_context_share_by_hand():
    metric = make(SeedMetric)
    # Seeds at 0.15: [a, a, a, a, b, b]. Context ids: 1 = a's, 2 = b's,
    # 3 = neutral. Pixel 0 is marked a's context but lies on a's object:
    # not counted. a: pixel 2 on its context, pixel 3 on a neutral one;
    # b: pixel 5 on its context.
    metric.process(None, [
        sample([[[0.9, 0.8, 0.7, 0.6, 0.0, 0.0]],
                [[0.0, 0.0, 0.0, 0.0, 0.9, 0.8]]], [0, 1],
               [[1, 1, 0, 0, 2, 0]], context=[[1, 0, 1, 3, 0, 2]])
    ])
    result = metric.evaluate(1)
    assert result['seed/context_share'] == pytest.approx(100 * 2 / 6)
    assert result['seed/context_share.a'] == pytest.approx(100 / 4)
    assert result['seed/context_share.b'] == pytest.approx(100 / 2)
    assert result['seed/any_context_share'] == pytest.approx(100 * 3 / 6)


def test_context_is_optional():
    metric = make(SeedMetric, context_key=None)
    metric.process(None, [sample([[[0.9]]], [0], [[1]], context=[[1]])])
    assert set(metric.evaluate(1)) == {
        'seed/mIoU', 'seed/best_mIoU', 'seed/best_thr'
    }


def test_bad_samples_are_named():
    metric = make(SeedMetric)
    with pytest.raises(ValueError, match='does not match'):
        metric.process(None, [sample([[[0.9, 0.1]]], [0], [[1, 0, 0]])])
    with pytest.raises(ValueError, match=r"lacks \['cam_keys'\]"):
        metric.process(None, [dict(cams=np.zeros((0, 1, 1)),
                                   gt_sem_seg=dict(data=np.zeros((1, 1, 1))))])
    with pytest.raises(ValueError, match='label holds id 7'):
        metric.process(None, [sample([[[0.9]]], [0], [[7]])])
    with pytest.raises(ValueError, match='dataset_meta'):
        SeedMetric().process(None, SAMPLES)


def test_image_without_labelled_class_is_all_background():
    metric = make(SeedMetric)
    metric.process(None, [sample(np.zeros((0, 1, 3)), [], [[0, 0, 1]])])
    result = metric.evaluate(1)
    # bg IoU 2/3, a IoU 0 (labelled, never predicted), b absent.
    assert result['seed/mIoU'] == pytest.approx(100 / 3)


def test_companion_share_by_hand():
    metric = make(SeedMetric, companions=dict(a='b'))
    metric.process(None, [
        # Seeds at 0.15: [a, a, a, a, b, b]; a's seeds spill onto b's
        # object at pixels 2 and 3.
        sample([[[0.9, 0.8, 0.7, 0.6, 0.0, 0.0]],
                [[0.0, 0.0, 0.0, 0.0, 0.9, 0.8]]], [0, 1],
               [[1, 1, 2, 2, 2, 0]]),
        # Two more seeds of a, on an ignored pixel and on background.
        sample([[[0.9, 0.9]]], [0], [[255, 0]]),
    ])
    result = metric.evaluate(2)
    assert result['seed/companion_share'] == pytest.approx(100 * 2 / 6)
    assert result['seed/companion_share.a'] == pytest.approx(100 * 2 / 6)
    assert 'seed/companion_share.b' not in result  # b is no primary


def test_companion_share_sums_over_ranks_and_tolerates_absent_classes():
    samples = [
        sample([[[0.9, 0.8, 0.0]], [[0.0, 0.0, 0.9]]], [0, 1], [[1, 2, 2]]),
        sample([[[0.9, 0.1]]], [1], [[2, 0]]),
    ]
    one = make(SeedMetric, companions=dict(a='b', b='a'))
    one.process(None, samples)
    rank0 = make(SeedMetric, companions=dict(a='b', b='a'))
    rank1 = make(SeedMetric, companions=dict(a='b', b='a'))
    rank0.process(None, samples[:1])
    rank1.process(None, samples[1:])
    expected = one.compute_metrics(one.results)
    assert rank0.compute_metrics(rank0.results + rank1.results) == expected
    # a: 2 seeds, 1 on b; b: 2 seeds, none on a.
    assert expected['companion_share'] == pytest.approx(100 / 4)
    assert expected['companion_share.a'] == pytest.approx(100 / 2)
    assert expected['companion_share.b'] == 0

    # A primary that never appears: no per-primary key, a NaN share.
    absent = make(SeedMetric, companions=dict(a='b'))
    absent.process(None, [sample([[[0.9]]], [1], [[2]])])
    result = absent.evaluate(1)
    assert np.isnan(result['seed/companion_share'])
    assert 'seed/companion_share.a' not in result


def test_companions_must_name_classes():
    metric = make(SeedMetric, companions=dict(a='horse'))
    with pytest.raises(ValueError, match="companions name \\['horse'\\]"):
        metric.process(None, SAMPLES)


def test_images_without_ground_truth_are_left_out_or_give_no_figure():
    """A training split of image-level labels only has no gt_sem_seg."""
    unlabelled = dict(SAMPLES[0])
    del unlabelled['gt_sem_seg']
    metric = make(SeedMetric, thresholds=(0.2, ), bg_thr=0.5)
    metric.process(None, [unlabelled, *SAMPLES])
    assert metric.evaluate(3)['seed/mIoU'] == pytest.approx(100 * 11 / 18)
    metric.process(None, [unlabelled])
    assert metric.evaluate(1) == {}
