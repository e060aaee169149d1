"""Pixel statistics and sample access shared by the mask metrics."""
from .confusion import (area_iou, intersect_and_union, mean_iou,
                        seed_sweep_areas)
from .sample_field import sample_field

__all__ = [
    'area_iou', 'intersect_and_union', 'mean_iou', 'sample_field',
    'seed_sweep_areas'
]
