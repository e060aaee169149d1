from .load_cam import LoadCAM
from .load_context_map import LoadContextMap
from .load_optional_annotations import LoadOptionalAnnotations
from .load_previous_mask import LoadPreviousMask
from .pack_wsss_inputs import PackWSSSInputs
from .paste_instances import PasteInstances
from .recompute_image_labels import RecomputeImageLabels

__all__ = [
    'LoadCAM', 'LoadContextMap', 'LoadOptionalAnnotations',
    'LoadPreviousMask', 'PackWSSSInputs', 'PasteInstances',
    'RecomputeImageLabels'
]
