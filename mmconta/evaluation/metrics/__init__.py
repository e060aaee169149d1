from .multi_label_map import MultiLabelMAP
from .pseudo_mask_metric import PseudoMaskMetric
from .seed_metric import SeedMetric

__all__ = ['MultiLabelMAP', 'PseudoMaskMetric', 'SeedMetric']
