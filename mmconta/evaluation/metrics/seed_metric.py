"""Seed quality of CAMs, with a background-threshold sweep."""
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import print_log

from mmconta.registry import METRICS
from ..functional import area_stats, iou
from .running_sum_metric import RunningSumMetric


def field(sample, name: str) -> Optional[np.ndarray]:
    """A data-sample field as numpy, from a dict or a data sample."""
    value = sample.get(name) if isinstance(sample, dict) else getattr(
        sample, name, None)
    if value is None:
        return None
    if isinstance(value, dict):
        value = value['data']
    elif hasattr(value, 'data') and not isinstance(value, torch.Tensor):
        value = value.data  # PixelData
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


@METRICS.register_module()
class SeedMetric(RunningSumMetric):
    """mIoU of CAM seeds against ground truth, over a threshold sweep.

    The seed of a pixel is the argmax over a constant background plane at
    threshold t and the labelled classes' max-normalised CAMs. Reported:
    ``mIoU`` at the fixed ``bg_thr`` (IRN's protocol) and ``best_mIoU`` with
    its ``best_thr`` over ``thresholds`` (SEAM's). The sweep reads the
    ground truth, so it measures the CAMs; it never picks the threshold used
    for pseudo-masks.

    When samples carry ``gt_context`` (0 none, k for class k's context,
    other ids for contexts tied to no class), ``context_share`` is the share
    of a class's seed pixels at ``bg_thr`` that lie on its own context: the
    bias CONTA targets, measured directly; ``any_context_share`` is the share
    of all foreground seed pixels on any context region, comparable between
    a confounded set and its control.

    Samples (dicts or data samples) carry ``cams`` (K_img, H, W),
    ``cam_keys`` (K_img,), ``gt_sem_seg`` and optionally ``gt_context``.

    Args:
        thresholds (Sequence[float]): The sweep. Defaults to 0.05..0.95.
        bg_thr (float): The fixed threshold. Defaults to 0.15 (IRN's
            ``cam_eval_thres``).
        ignore_index (int): Ignored label. Defaults to 255.
        prefix (str): Metric prefix. Defaults to 'seed'.
        collect_device (str): Defaults to 'cpu'.
    """
    default_prefix = 'seed'

    def __init__(self,
                 thresholds: Sequence[float] = tuple(
                     np.round(np.arange(0.05, 0.951, 0.05), 2)),
                 bg_thr: float = 0.15,
                 ignore_index: int = 255,
                 prefix: Optional[str] = None,
                 collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thresholds = np.asarray(
            sorted(set(float(t) for t in thresholds) | {float(bg_thr)}))
        self.bg_thr = float(bg_thr)
        self.ignore_index = ignore_index

    @property
    def num_classes(self) -> int:
        return len(self.dataset_meta['classes'])

    def zero_state(self) -> Dict[str, np.ndarray]:
        t, c = len(self.thresholds), self.num_classes
        return dict(
            areas=np.zeros((t, 3, c), np.int64),
            context_hits=np.zeros(c, np.int64),
            seed_pixels=np.zeros(c, np.int64),
            any_context_hits=np.zeros(1, np.int64),
            has_context=np.zeros(1, np.int64))

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            cams = field(sample, 'cams').astype(np.float32)
            keys = field(sample, 'cam_keys').astype(np.int64)
            label = field(sample, 'gt_sem_seg').reshape(cams.shape[1:])
            ids = np.concatenate([[0], keys + 1])
            if len(keys):
                best = ids[cams.argmax(0) + 1]
                peak = cams.max(0)
            else:
                best = np.zeros(label.shape, np.int64)
                peak = np.zeros(label.shape, np.float32)
            areas = np.stack([
                np.stack(
                    area_stats(
                        np.where(peak > t, best, 0), label, self.num_classes,
                        self.ignore_index)) for t in self.thresholds
            ])
            sums = dict(areas=areas)
            context = field(sample, 'gt_context')
            if context is not None:
                seed = np.where(peak > self.bg_thr, best, 0).reshape(-1)
                context = context.reshape(-1)
                sums.update(
                    context_hits=np.bincount(
                        seed[(seed > 0) & (context == seed)],
                        minlength=self.num_classes)[:self.num_classes],
                    seed_pixels=np.bincount(
                        seed[seed > 0],
                        minlength=self.num_classes)[:self.num_classes],
                    any_context_hits=np.array(
                        [((seed > 0) & (context > 0)).sum()]),
                    has_context=np.ones(1, np.int64))
            self.accumulate(**sums)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        total = self.total(results)
        ious = np.stack([iou(*areas) for areas in total['areas']])
        mious = np.nanmean(ious, axis=1) * 100
        fixed = int(np.flatnonzero(self.thresholds == self.bg_thr)[0])
        best = int(np.nanargmax(mious))
        classes = self.dataset_meta['classes']
        print_log(
            'seed mIoU by background threshold:\n' + '\n'.join(
                f'  {t:.2f}  {m:6.2f}' for t, m in zip(self.thresholds, mious))
            + f'\nper-class IoU at {self.bg_thr:.2f}: ' + ', '.join(
                f'{n} {v * 100:.1f}' for n, v in zip(classes, ious[fixed])),
            logger='current')
        metrics = dict(
            mIoU=float(mious[fixed]),
            best_mIoU=float(mious[best]),
            best_thr=float(self.thresholds[best]))
        if total['has_context'][0]:
            hits, pixels = total['context_hits'], total['seed_pixels']
            metrics['context_share'] = float(
                100 * hits[1:].sum() / max(pixels[1:].sum(), 1))
            metrics['any_context_share'] = float(
                100 * total['any_context_hits'][0] / max(pixels[1:].sum(), 1))
            for k in range(1, self.num_classes):
                if pixels[k]:
                    metrics[f'context_share.{classes[k]}'] = float(
                        100 * hits[k] / pixels[k])
        return metrics
