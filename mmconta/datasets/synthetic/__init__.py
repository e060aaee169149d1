"""Synthetic benchmarks written to disk as files; no registered types."""
from .confounded_shapes import (CLASS_NAMES, COMPANIONS, DIFFICULTIES,
                                generate, main, parse_args)
from .standin import write_standin

__all__ = [
    'CLASS_NAMES', 'COMPANIONS', 'DIFFICULTIES', 'generate', 'main',
    'parse_args', 'write_standin'
]
