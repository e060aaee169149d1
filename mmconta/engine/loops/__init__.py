from .cam_generation_loop import (CAMGenerationLoop, group_batches,
                                  multi_scale_cams, prepare_cam_model)
from .mask_prediction_loop import MaskPredictionLoop

__all__ = [
    'CAMGenerationLoop', 'MaskPredictionLoop', 'group_batches',
    'multi_scale_cams', 'prepare_cam_model'
]
