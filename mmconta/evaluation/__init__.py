"""Metrics: seed, pseudo-mask and multi-label classification quality."""
from .metrics import MultiLabelMAP, PseudoMaskMetric, SeedMetric

__all__ = ['MultiLabelMAP', 'PseudoMaskMetric', 'SeedMetric']
