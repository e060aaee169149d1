"""Checkpoints that load with ``torch.load(weights_only=True)``."""
from typing import Any

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer

from mmconta.registry import HOOKS

MARKER = '__mmconta_plain__'


def to_plain(obj: Any) -> Any:
    """Replace what weights-only unpickling refuses by tensors and builtins.

    mmengine 0.10.7 stores its message hub as ``HistoryBuffer`` objects
    (which pickle through ``getattr``) and numpy arrays and scalars; a
    weights-only load refuses them, and allow-listing ``getattr`` would
    let a checkpoint reach anything.
    """
    if isinstance(obj, HistoryBuffer):
        return {
            MARKER: 'HistoryBuffer',
            'max_length': obj.max_length,
            'log_history': torch.from_numpy(np.array(obj._log_history)),
            'count_history': torch.from_numpy(np.array(obj._count_history)),
        }
    if isinstance(obj, np.ndarray):
        return {MARKER: 'ndarray', 'data': torch.from_numpy(obj.copy())}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return type(obj)((k, to_plain(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_plain(v) for v in obj)
    return obj


def from_plain(obj: Any) -> Any:
    """Invert :func:`to_plain`."""
    if isinstance(obj, dict):
        kind = obj.get(MARKER)
        if kind == 'HistoryBuffer':
            buffer = HistoryBuffer(max_length=obj['max_length'])
            buffer._log_history = obj['log_history'].numpy()
            buffer._count_history = obj['count_history'].numpy()
            return buffer
        if kind == 'ndarray':
            return obj['data'].numpy()
        return type(obj)((k, from_plain(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(from_plain(v) for v in obj)
    return obj


@HOOKS.register_module()
class WeightsOnlyCheckpointHook(Hook):
    """Save checkpoints as tensors and builtins only; restore on load.

    torch >= 2.6 loads with ``weights_only=True`` by default, which refuses
    mmengine 0.10.7's own checkpoints (its message hub). This hook rewrites
    the message hub and any numpy value into plain data before saving, so
    ``load_from`` and ``resume`` work with the safety on, and rebuilds the
    objects after loading, before the runner restores its message hub.

    Note:
        Priority ``LOWEST``: it runs after every hook that adds state to the
        checkpoint.
    """
    priority = 'LOWEST'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        for key in list(checkpoint):
            checkpoint[key] = to_plain(checkpoint[key])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        for key in list(checkpoint):
            checkpoint[key] = from_plain(checkpoint[key])
