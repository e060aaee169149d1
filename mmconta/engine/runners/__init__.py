from .conta_round_runner import ContaRoundRunner, summary_table

__all__ = ['ContaRoundRunner', 'summary_table']
