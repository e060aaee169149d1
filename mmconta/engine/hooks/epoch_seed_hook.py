"""Random state that depends only on (seed, epoch), so resume is exact."""
from mmengine.hooks import Hook
from mmengine.runner.utils import set_random_seed

from mmconta.registry import HOOKS


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Reseed python, numpy and torch at the start of every training epoch.

    mmengine seeds once at start and does not restore the random state on
    resume, so a run resumed at epoch k draws other augmentations (and
    dropout masks) than the uninterrupted run did from epoch k on. Seeding
    each epoch with ``runner.seed + epoch`` makes epoch k's draws the same
    either way: with it, a training stage of the round loop killed and
    resumed from its last checkpoint ends with the same weights on a CPU.

    Data-loading workers draw from their own generators, seeded by mmengine
    when they start; exact resume also needs ``persistent_workers=False``
    (workers restarted, hence reseeded, every epoch) or ``num_workers=0``.
    Iteration-based loops have one epoch; they are not covered.
    """
    priority = 'VERY_HIGH'

    def before_train_epoch(self, runner) -> None:
        set_random_seed(runner.seed + runner.epoch)
