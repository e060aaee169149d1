from .cam_generation_loop import CAMGenerationLoop, group_batches
from .mask_prediction_loop import MaskPredictionLoop

__all__ = ['CAMGenerationLoop', 'MaskPredictionLoop', 'group_batches']
