"""Metrics: seed, pseudo-mask and multi-label classification quality."""
