"""Plain functions shared by models and loops: CAM seeds, dense CRF."""
from .cam_seeds import cam_argmax, cam_to_pseudo_mask, cam_to_seed
from .dense_crf import dense_crf_labels

__all__ = ['cam_argmax', 'cam_to_pseudo_mask', 'cam_to_seed',
           'dense_crf_labels']
