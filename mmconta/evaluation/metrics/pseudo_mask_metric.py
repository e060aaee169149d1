"""Quality of pseudo-masks (255 = ignore) against ground truth."""
from typing import Dict, Optional, Sequence

import numpy as np

from mmconta.registry import METRICS
from ..functional import area_stats, iou
from .running_sum_metric import RunningSumMetric
from .seed_metric import field


@METRICS.register_module()
class PseudoMaskMetric(RunningSumMetric):
    """mIoU of pseudo-masks over the pixels they label, and their ignore ratio.

    Samples carry ``pred_sem_seg`` (the pseudo-mask, 255 = ignore) and
    ``gt_sem_seg``. Ignored pseudo-mask pixels are left out of the IoU and
    counted in ``ignore_ratio`` (% of the labelled ground-truth pixels).

    Args:
        ignore_index (int): Defaults to 255.
        prefix (str, optional): Defaults to 'mask'.
        collect_device (str): Defaults to 'cpu'.
    """
    default_prefix = 'mask'

    def __init__(self,
                 ignore_index: int = 255,
                 prefix: Optional[str] = None,
                 collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ignore_index = ignore_index

    def zero_state(self) -> Dict[str, np.ndarray]:
        return dict(
            areas=np.zeros((3, len(self.dataset_meta['classes'])), np.int64),
            ignored=np.zeros(1, np.int64),
            labelled=np.zeros(1, np.int64))

    def process(self, data_batch, data_samples: Sequence) -> None:
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            pred = field(sample, 'pred_sem_seg').reshape(-1)
            label = field(sample, 'gt_sem_seg').reshape(-1)
            labelled = label != self.ignore_index
            self.accumulate(
                areas=np.stack(
                    area_stats(pred, label, num_classes, self.ignore_index)),
                ignored=np.array([(labelled &
                                   (pred == self.ignore_index)).sum()]),
                labelled=np.array([labelled.sum()]))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        total = self.total(results)
        return dict(
            mIoU=float(np.nanmean(iou(*total['areas'])) * 100),
            ignore_ratio=float(100 * total['ignored'][0] /
                               max(total['labelled'][0], 1)))
