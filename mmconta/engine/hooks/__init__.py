from .confounder_bank_hook import ConfounderBankHook

__all__ = ['ConfounderBankHook']
