"""Metrics: seed, pseudo-mask and multi-label classification quality."""
from .metrics import MaskWriter, MultiLabelMAP, PseudoMaskMetric, SeedMetric

__all__ = ['MaskWriter', 'MultiLabelMAP', 'PseudoMaskMetric', 'SeedMetric']
