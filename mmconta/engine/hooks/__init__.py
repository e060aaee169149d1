from .class_count_check_hook import ClassCountCheckHook
from .confounder_bank_hook import ConfounderBankHook
from .epoch_seed_hook import EpochSeedHook
from .safe_loading_hook import SafeLoadingHook
from .weights_only_checkpoint_hook import WeightsOnlyCheckpointHook

__all__ = [
    'ClassCountCheckHook', 'ConfounderBankHook', 'EpochSeedHook',
    'SafeLoadingHook', 'WeightsOnlyCheckpointHook'
]
