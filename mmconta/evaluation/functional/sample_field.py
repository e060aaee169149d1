"""Reading a field of a data sample, whatever form the evaluator passes."""
from typing import Optional, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement


def sample_field(sample: Union[dict, BaseDataElement],
                 name: str) -> Optional[np.ndarray]:
    """A field of a data sample as a numpy array, or None if absent.

    mmengine's evaluator passes model outputs as dicts (``to_dict()``, where a
    ``PixelData`` becomes ``{'data': ...}``); loops may pass data samples.
    Both forms, and plain arrays or tensors as values, are accepted.

    Args:
        sample (dict | BaseDataElement): One data sample.
        name (str): The field, e.g. ``'gt_sem_seg'`` or ``'cams'``.

    Returns:
        np.ndarray, optional: The values (CPU tensors are shared, not
        copied); None if the sample has no such field.
    """
    value = sample.get(name)
    if isinstance(value, (dict, BaseDataElement)):
        if value.get('data') is None:
            raise ValueError(f'sample field {name!r} has no data: keys '
                             f'{list(value.keys())}')
        value = value.get('data')
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return None if value is None else np.asarray(value)
