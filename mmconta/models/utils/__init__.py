from .cam_seeds import cam_to_pseudo_mask, cam_to_seed
from .dense_crf import dense_crf_labels

__all__ = ['cam_to_pseudo_mask', 'cam_to_seed', 'dense_crf_labels']
