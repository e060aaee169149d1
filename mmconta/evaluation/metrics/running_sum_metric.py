"""Base of the metrics that keep one running sum per rank."""
from typing import Dict

import numpy as np
from mmengine.evaluator import BaseMetric


class RunningSumMetric(BaseMetric):
    """A metric whose ``results`` hold exactly one dict of sums per rank.

    Per-image entries would grow with the data set, and mmengine's
    ``collect_results`` zips the ranks' lists, dropping entries of ranks
    holding more images than others. One entry per rank, always present
    (a rank that saw no image contributes zeros), avoids both.
    """

    def zero_state(self) -> Dict[str, np.ndarray]:
        raise NotImplementedError

    def accumulate(self, **sums: np.ndarray) -> None:
        if not self.results:
            self.results.append(self.zero_state())
        for key, value in sums.items():
            self.results[0][key] += value

    def evaluate(self, size: int) -> dict:
        if not self.results:
            self.results.append(self.zero_state())
        return super().evaluate(size)

    @staticmethod
    def total(results: list) -> Dict[str, np.ndarray]:
        return {k: sum(r[k] for r in results) for k in results[0]}
