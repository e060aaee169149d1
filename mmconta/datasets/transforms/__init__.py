from .load_context_map import LoadContextMap
from .pack_wsss_inputs import PackWSSSInputs
from .recompute_image_labels import RecomputeImageLabels

__all__ = ['LoadContextMap', 'PackWSSSInputs', 'RecomputeImageLabels']
