"""Mean average precision of a multi-label image classifier."""
import logging
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from prettytable import PrettyTable

from mmconta.registry import METRICS


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """AP of one class: precision averaged over the ranks of the positives.

    Tied scores form one threshold: every image of a tie group counts at
    the group's end, so the value does not depend on the order of ties
    (as scikit-learn's ``average_precision_score``).

    Args:
        scores (np.ndarray): (N,) scores.
        labels (np.ndarray): (N,) 1 for positive, 0 for negative; at least
            one positive.

    Returns:
        float: AP in [0, 1].
    """
    order = np.argsort(-scores, kind='stable')
    sorted_scores = scores[order]
    true_pos = np.cumsum(labels[order] > 0)
    group_end = np.flatnonzero(
        np.r_[sorted_scores[1:] != sorted_scores[:-1], True])
    precision = true_pos[group_end] / (group_end + 1)
    new_pos = np.diff(true_pos[group_end], prepend=0)
    return float((new_pos * precision).sum() / true_pos[-1])


@METRICS.register_module()
class MultiLabelMAP(BaseMetric):
    """mAP (%) of image-level scores, over classes with a positive image.

    Samples carry ``pred_img_scores`` (the model's sigmoid scores) and
    ``gt_img_labels`` (multi-hot), both of length K = foreground classes.
    ``process`` keeps one small (scores, labels) pair per image; the
    per-class APs are logged as a table. Ranks gather every pair (mmengine
    drops the sampler's padding) and AP does not depend on the order of the
    images, so the result is the same under any number of processes.

    Why not mmpretrain's ``AveragePrecision``? An mmconta config can name
    it (``dict(type='mmpretrain.AveragePrecision', prefix='cls')`` gives
    ``cls/mAP`` too), but it agrees only where every class has a positive
    and no scores tie (34.4231 both, random scores of 50 images x 6
    classes); otherwise its numbers differ
    (``tests/test_evaluation/test_multi_label_map.py``):

    - A class without a positive image counts as AP 0 in its mean; here it
      is left out: 44.44 instead of 66.67 on the hand-computed example.
      On a val set that lacks a class, its mAP is ours times the share of
      classes with a positive.
    - Tied scores are ranked in ``torch.argsort`` order, so AP depends on
      the order of the images: scores (0.5, 0.5) with labels (0, 1) give
      50 and with (1, 0) give 100; here both give 50. Sigmoid scores tie
      whenever they saturate to 1 in float32.
    - No positive at all gives 0 instead of NaN, and the mean is float32.

    It also reads ``pred_score`` and ``gt_score`` / ``gt_label``, which
    mmconta's samples do not carry (``CAMHead`` sets ``pred_img_scores``,
    ``PackWSSSInputs`` sets ``gt_img_labels``).

    Args:
        prefix (str, optional): Metric name prefix. Defaults to 'cls'.
        collect_device (str): Where ranks gather results. Defaults to 'cpu'.
    """
    default_prefix = 'cls'

    def __init__(self,
                 prefix: Optional[str] = None,
                 collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep each image's scores and labels.

        Args:
            data_batch (dict): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs, as dicts.
        """
        for sample in data_samples:
            self.results.append(
                (sample['pred_img_scores'].detach().cpu().numpy().astype(
                    np.float32),
                 sample['gt_img_labels'].detach().cpu().numpy().astype(
                     np.float32)))

    def compute_metrics(self,
                        results: List[Tuple[np.ndarray, np.ndarray]]
                        ) -> Dict[str, float]:
        """mAP over the classes that have at least one positive image.

        Args:
            results (list): (scores, labels) per image, from all ranks.

        Returns:
            dict: ``mAP`` in percent (NaN when no class has a positive).
        """
        scores = np.stack([r[0] for r in results])
        labels = np.stack([r[1] for r in results])
        num_classes = scores.shape[1]
        if self.dataset_meta and 'classes' in self.dataset_meta:
            names = list(self.dataset_meta['classes'][1:])
            if len(names) != num_classes:
                raise ValueError(
                    f'MultiLabelMAP: {num_classes} scores per image but '
                    f'{len(names)} foreground classes in dataset_meta')
        else:
            names = [str(k) for k in range(num_classes)]

        table = PrettyTable(field_names=['Class', 'AP', 'Positives'])
        aps = []
        for k, name in enumerate(names):
            positives = int((labels[:, k] > 0).sum())
            # AP is undefined without a positive: such classes are left out
            # of the mean rather than counted as 0 or 1.
            if positives:
                aps.append(average_precision(scores[:, k], labels[:, k]))
                table.add_row([name, f'{aps[-1] * 100:.2f}', positives])
            else:
                table.add_row([name, '-', 0])
        print_log('per-class AP:\n' + table.get_string(), logger='current')
        if not aps:
            print_log(
                'MultiLabelMAP: no class has a positive image, mAP is NaN',
                logger='current', level=logging.WARNING)
            return dict(mAP=float('nan'))
        return dict(mAP=float(np.mean(aps) * 100))
