"""Synthetic benchmarks written to disk as files; no registered types."""
from .confounded_shapes import (CLASS_NAMES, COMPANIONS, DIFFICULTIES,
                                generate, main, parse_args)

__all__ = [
    'CLASS_NAMES', 'COMPANIONS', 'DIFFICULTIES', 'generate', 'main',
    'parse_args'
]
