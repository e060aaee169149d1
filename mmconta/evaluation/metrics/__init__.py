from .mask_writer import MaskWriter
from .multi_label_map import MultiLabelMAP
from .pseudo_mask_metric import PseudoMaskMetric
from .seed_metric import SeedMetric

__all__ = ['MaskWriter', 'MultiLabelMAP', 'PseudoMaskMetric', 'SeedMetric']
