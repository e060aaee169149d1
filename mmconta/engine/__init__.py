"""Engine: hooks, loops and runners of the CONTA round loop."""
from .hooks import ConfounderBankHook, WeightsOnlyCheckpointHook
from .loops import (CAMGenerationLoop, group_batches, multi_scale_cams,
                    prepare_cam_model)

__all__ = [
    'CAMGenerationLoop', 'ConfounderBankHook', 'group_batches',
    'multi_scale_cams', 'prepare_cam_model', 'WeightsOnlyCheckpointHook'
]
