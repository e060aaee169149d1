"""Loss functions of CAM networks (SEAM's equivariant regularisation)."""
from .seam_losses import (adaptive_min_pooling_loss,
                          equivariant_cross_regularisation_loss,
                          equivariant_regularisation_loss, max_norm,
                          max_onehot, with_background)

__all__ = [
    'adaptive_min_pooling_loss', 'equivariant_cross_regularisation_loss',
    'equivariant_regularisation_loss', 'max_norm', 'max_onehot',
    'with_background'
]
