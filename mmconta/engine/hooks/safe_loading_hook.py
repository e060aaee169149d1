"""Weights-only loading of a run's local checkpoints."""
from contextlib import ExitStack

from mmengine.hooks import Hook

from mmconta.registry import HOOKS
from mmconta.utils import safe_loading


@HOOKS.register_module()
class SafeLoadingHook(Hook):
    """Load the run's local checkpoints weights-only, with the allow-list.

    From ``before_run`` to ``after_run`` mmengine loads local files with
    :func:`mmconta.utils.load_from_local_safely` (through
    :func:`mmconta.utils.safe_loading`). mmengine's ``train`` calls
    ``before_run`` before it initialises the weights (``Pretrained`` from a
    path), and ``train``, ``val`` and ``test`` call it before ``load_from``
    and ``resume``, so every load of the run goes through it. ``after_run``
    puts back the loader that was there, so code outside the run loads as
    it did. mmconta's configs opt in through
    ``configs/_base_/default_runtime.py``, and so does every stage run of
    :class:`~mmconta.engine.ContaRoundRunner`.

    Note:
        Priority ``VERY_HIGH``: other hooks' ``before_run`` load safely too.
        A run that raises skips ``after_run`` and leaves the safe loader in
        place for the rest of the process, or until an enclosing
        :func:`~mmconta.utils.safe_loading` exits.
    """
    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        # One context per before_run: a runner's val after its train, or
        # after a run that raised, nests and unwinds them all.
        self._loading = ExitStack()

    def before_run(self, runner) -> None:
        self._loading.enter_context(safe_loading())

    def after_run(self, runner) -> None:
        self._loading.close()
