"""Mean average precision of a multi-label classifier."""
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmconta.registry import METRICS


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """AP of one class: mean precision at the rank of each positive."""
    order = np.argsort(-scores, kind='stable')
    hits = labels[order] > 0
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision[hits].mean())


@METRICS.register_module()
class MultiLabelMAP(BaseMetric):
    """mAP (%) over the foreground classes that have a positive image.

    Samples carry ``pred_img_scores`` and ``gt_img_labels`` (length K).

    Args:
        prefix (str, optional): Defaults to 'cls'.
        collect_device (str): Defaults to 'cpu'.
    """
    default_prefix = 'cls'

    def __init__(self,
                 prefix: Optional[str] = None,
                 collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(
                (sample['pred_img_scores'].cpu().numpy(),
                 sample['gt_img_labels'].cpu().numpy()))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        scores = np.stack([r[0] for r in results])
        labels = np.stack([r[1] for r in results])
        classes = self.dataset_meta['classes'][1:]
        aps = {
            name: average_precision(scores[:, k], labels[:, k])
            for k, name in enumerate(classes) if labels[:, k].any()
        }
        print_log(
            'AP per class: ' + ', '.join(f'{n} {ap * 100:.1f}'
                                         for n, ap in aps.items()),
            logger='current')
        return dict(mAP=float(np.mean(list(aps.values())) * 100))
