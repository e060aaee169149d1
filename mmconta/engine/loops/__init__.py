from .cam_generation_loop import (CAMGenerationLoop, group_batches,
                                  multi_scale_cams)

__all__ = ['CAMGenerationLoop', 'group_batches', 'multi_scale_cams']
