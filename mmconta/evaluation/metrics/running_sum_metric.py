"""Base of the metrics that keep one running sum per rank."""
import logging
from typing import Dict, List

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log


class RunningSumMetric(BaseMetric):
    """A metric whose ``results`` hold exactly one dict of int64 sums per rank.

    Per-image entries would grow with the data set (a seed sweep holds
    T x 3 x C areas per image). Here ``process`` adds into one entry;
    mmengine's ``collect_results`` gathers the ranks' entries, and
    ``compute_metrics`` sums them. Every rank holds its entry, zeros if it
    saw no image, so the ranks' lists are equally long.

    A sample without ground truth (``gt_sem_seg``; a training split with
    image-level labels only) is counted in ``no_gt_images`` and left out;
    when no sample had any, the metric reports no figure and says why
    (:meth:`no_ground_truth`).

    Note:
        A running sum counts every sample it is given: the evaluation
        sampler must not repeat images to even out the ranks (mmengine's
        ``DefaultSampler`` pads with repeats unless ``round_up=False``;
        ``CAMGenerationLoop`` does not pad). ``collect_results`` keeps the
        first ``len(dataset)`` entries, so the data set must have at least
        as many images as there are ranks.
    """

    def zero_state(self) -> Dict[str, np.ndarray]:
        """The sums of a rank that saw no image; keys and shapes of an entry.
        """
        raise NotImplementedError

    @property
    def num_classes(self) -> int:
        """Number of classes, background included, from ``dataset_meta``."""
        if not self.dataset_meta or 'classes' not in self.dataset_meta:
            raise ValueError(f'{type(self).__name__} needs dataset_meta with '
                             f'classes, got {self.dataset_meta}')
        return len(self.dataset_meta['classes'])

    def accumulate(self, **sums: np.ndarray) -> None:
        """Add ``sums`` into this rank's entry (keys of :meth:`zero_state`)."""
        if not self.results:
            self.results.append(self.zero_state())
        for key, value in sums.items():
            self.results[0][key] += np.asarray(value, np.int64)

    def evaluate(self, size: int) -> dict:
        """Evaluate, giving a rank without images its zero entry first.

        Args:
            size (int): Length of the whole dataset.

        Returns:
            dict: The metrics, with this metric's prefix.
        """
        if not self.results:
            self.results.append(self.zero_state())
        return super().evaluate(size)

    @staticmethod
    def total(results: List[Dict[str, np.ndarray]]) -> Dict[str, np.ndarray]:
        """Sum the ranks' entries key by key."""
        return {key: sum(r[key] for r in results) for key in results[0]}

    def no_ground_truth(self, total: Dict[str, np.ndarray]) -> bool:
        """Whether no image had ground truth; if so, say it in the log.

        Args:
            total (dict): The summed entry, with ``gt_images`` and
                ``no_gt_images``.
        """
        skipped = int(total['no_gt_images'][0])
        if skipped and total['gt_images'][0]:
            print_log(f'{type(self).__name__}: {skipped} image(s) without '
                      'ground truth left out', logger='current')
        if total['gt_images'][0]:
            return False
        print_log(f'{type(self).__name__}: no ground truth (no image has '
                  'gt_sem_seg): no figures', logger='current',
                  level=logging.WARNING)
        return True
