"""Engine: hooks, loops and runners of the CONTA round loop."""
from .cam_inference import multi_scale_cams, prepare_cam_model
from .hooks import (ClassCountCheckHook, ConfounderBankHook, EpochSeedHook,
                    SafeLoadingHook, WeightsOnlyCheckpointHook)
from .loops import CAMGenerationLoop, MaskPredictionLoop, group_batches
from .optim_wrappers import AutocastOptimWrapper
from .pseudo_mask_writer import PseudoMaskWriter
from .runners import ContaRoundRunner, summary_table

__all__ = [
    'AutocastOptimWrapper', 'CAMGenerationLoop', 'ClassCountCheckHook',
    'ConfounderBankHook', 'ContaRoundRunner', 'EpochSeedHook',
    'group_batches', 'MaskPredictionLoop', 'multi_scale_cams',
    'prepare_cam_model', 'PseudoMaskWriter', 'SafeLoadingHook',
    'summary_table', 'WeightsOnlyCheckpointHook'
]
