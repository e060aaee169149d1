"""Batches of the image pairs :class:`PasteInstances` yields."""
from typing import Sequence

from mmengine.dataset import pseudo_collate
from mmengine.registry import FUNCTIONS


@FUNCTIONS.register_module()
def flatten_pairs_collate(data_batch: Sequence[dict]) -> dict:
    """mmengine's ``pseudo_collate`` after turning each pair of
    :class:`PasteInstances` (``inputs`` and ``data_samples`` lists) into
    its samples, original first; other items pass as they are. A batch of B
    images with their pasted copies holds 2B samples, as CDA trains."""
    flat = []
    for item in data_batch:
        if isinstance(item.get('inputs'), list):
            flat += [dict(inputs=i, data_samples=s)
                     for i, s in zip(item['inputs'], item['data_samples'])]
        else:
            flat.append(item)
    return pseudo_collate(flat)
