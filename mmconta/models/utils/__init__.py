"""Plain functions shared by models and loops: CAM seeds, dense CRF, random
walks and the pair affinities that train their networks."""
from .cam_seeds import cam_argmax, cam_to_pseudo_mask, cam_to_seed
from .dense_crf import dense_crf_labels, require_pydensecrf
from .pair_affinity import (pair_boundary_affinity, pair_displacement,
                            pair_feature_affinity, pair_labels, pair_valid)
from .random_walk import (affinity_from_boundary, affinity_from_features,
                          pair_offsets, random_walk, transition_matrix)

__all__ = [
    'affinity_from_boundary', 'affinity_from_features', 'cam_argmax',
    'cam_to_pseudo_mask', 'cam_to_seed', 'dense_crf_labels',
    'pair_boundary_affinity', 'pair_displacement', 'pair_feature_affinity',
    'pair_labels', 'pair_offsets', 'pair_valid', 'random_walk',
    'require_pydensecrf',
    'transition_matrix'
]
