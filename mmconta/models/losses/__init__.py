"""Losses: SEAM's equivariant regularisation of CAM networks, and the
segmentor's class-balanced cross-entropy."""
from .class_balanced_cross_entropy_loss import ClassBalancedCrossEntropyLoss
from .seam_losses import (adaptive_min_pooling_loss,
                          equivariant_cross_regularisation_loss,
                          equivariant_regularisation_loss, max_norm,
                          max_onehot, with_background)

__all__ = [
    'ClassBalancedCrossEntropyLoss', 'adaptive_min_pooling_loss',
    'equivariant_cross_regularisation_loss',
    'equivariant_regularisation_loss', 'max_norm', 'max_onehot',
    'with_background'
]
