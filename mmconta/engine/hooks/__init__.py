from .confounder_bank_hook import ConfounderBankHook
from .weights_only_checkpoint_hook import WeightsOnlyCheckpointHook

__all__ = ['ConfounderBankHook', 'WeightsOnlyCheckpointHook']
