"""Quality of pseudo-masks (255 = ignore) against ground truth."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import print_log
from prettytable import PrettyTable

from mmconta.registry import METRICS
from ..functional import area_iou, intersect_and_union, mean_iou, sample_field
from .running_sum_metric import RunningSumMetric


@METRICS.register_module()
class PseudoMaskMetric(RunningSumMetric):
    """mIoU of pseudo-masks over the pixels they label, and their ignore ratio.

    Samples carry ``pred_sem_seg`` (the pseudo-mask, uint8, 255 = ignore)
    and ``gt_sem_seg``. A pixel the pseudo-mask ignores is left out of both
    prediction and label (it trains nothing, so it is neither right nor
    wrong); ``ignore_ratio`` is the percentage of labelled ground-truth
    pixels the pseudo-masks ignore, to be read beside the mIoU (a mask that
    ignores everything hard would otherwise look perfect). Without ignored
    pixels this is mmseg's ``IoUMetric`` mIoU. One running sum per rank
    (see :class:`RunningSumMetric`).

    Args:
        ignore_index (int): Ignore id of both masks. Defaults to 255.
        prefix (str, optional): Metric name prefix. Defaults to 'mask'.
        collect_device (str): Where ranks gather results. Defaults to 'cpu'.
    """
    default_prefix = 'mask'

    def __init__(self,
                 ignore_index: int = 255,
                 prefix: Optional[str] = None,
                 collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ignore_index = ignore_index

    def zero_state(self) -> Dict[str, np.ndarray]:
        """Zero sums: ``areas`` (3, C), ignored and labelled pixel counts."""
        return dict(
            areas=np.zeros((3, self.num_classes), np.int64),
            ignored=np.zeros(1, np.int64),
            labelled=np.zeros(1, np.int64),
            gt_images=np.zeros(1, np.int64),
            no_gt_images=np.zeros(1, np.int64))

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence[dict]) -> None:
        """Add each sample's areas and ignore counts to the running sum.

        Args:
            data_batch (dict, optional): The batch (unused).
            data_samples (Sequence[dict | SegDataSample]): Samples with
                ``pred_sem_seg`` and ``gt_sem_seg``.
        """
        for sample in data_samples:
            pred = sample_field(sample, 'pred_sem_seg')
            label = sample_field(sample, 'gt_sem_seg')
            if pred is None:
                raise ValueError('PseudoMaskMetric: sample needs '
                                 'pred_sem_seg; it has '
                                 f'{list(sample.keys())}')
            if label is None:
                self.accumulate(no_gt_images=np.ones(1, np.int64))
                continue
            if pred.size != label.size:
                raise ValueError(
                    f'PseudoMaskMetric: pred_sem_seg {pred.shape} and '
                    f'gt_sem_seg {label.shape} differ in size (image '
                    f'{sample.get("img_id")})')
            intersect, _, area_pred, area_label = intersect_and_union(
                pred, label, self.num_classes, self.ignore_index)
            labelled = label.reshape(-1) != self.ignore_index
            self.accumulate(
                areas=torch.stack([intersect, area_pred, area_label]).numpy(),
                ignored=np.array(
                    [(labelled & (pred.reshape(-1) == self.ignore_index)).sum()
                     ]),
                labelled=np.array([labelled.sum()]),
                gt_images=np.ones(1, np.int64))

    def compute_metrics(self, results: List[Dict[str, np.ndarray]]
                        ) -> Dict[str, float]:
        """Sum the ranks' areas; mIoU and ignore ratio.

        Args:
            results (list[dict]): One running sum per rank.

        Returns:
            dict[str, float]: ``mIoU`` (NaN without labelled pixels) and
            ``ignore_ratio``, in percent; nothing without ground truth.
        """
        total = self.total(results)
        if self.no_ground_truth(total):
            return {}
        table = PrettyTable(field_names=['Class', 'IoU'])
        for name, value in zip(self.dataset_meta['classes'],
                               area_iou(total['areas']) * 100):
            table.add_row([name, f'{value:.2f}'])
        print_log(f'per-class IoU ({self.prefix}):\n' + table.get_string(),
                  logger='current')
        return dict(
            mIoU=float(mean_iou(total['areas'])),
            ignore_ratio=float(100 * total['ignored'][0] /
                               max(int(total['labelled'][0]), 1)))
