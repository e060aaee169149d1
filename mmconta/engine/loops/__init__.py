from .cam_generation_loop import (CAMGenerationLoop, group_batches,
                                  multi_scale_cams, prepare_cam_model)

__all__ = [
    'CAMGenerationLoop', 'group_batches', 'multi_scale_cams',
    'prepare_cam_model'
]
