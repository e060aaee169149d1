from .pack_wsss_inputs import PackWSSSInputs
from .recompute_image_labels import RecomputeImageLabels

__all__ = ['PackWSSSInputs', 'RecomputeImageLabels']
