"""Weights-only loading of a run's local checkpoints."""
import functools
from typing import Callable

from mmengine.hooks import Hook

from mmconta.registry import HOOKS
from mmconta.utils import safe_loading

# The runner methods that load local checkpoints: pretrained weights from a
# path (``init_cfg``), ``load_from`` and ``resume``.
LOADING_METHODS = ('_init_model_weights', 'load_checkpoint', 'resume')


def _loading_safely(method: Callable) -> Callable:

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with safe_loading():
            return method(*args, **kwargs)

    wrapper.loads_safely = True
    return wrapper


@HOOKS.register_module()
class SafeLoadingHook(Hook):
    """Load the run's local checkpoints weights-only, with the allow-list.

    In ``before_run`` the hook wraps the runner's loading methods
    (:data:`LOADING_METHODS`) of this runner instance, so that each load
    runs inside :func:`mmconta.utils.safe_loading`: mmengine's ``train``
    calls ``before_run`` before it initialises the weights (``Pretrained``
    from a path), and ``train``, ``val`` and ``test`` call it before
    ``load_from`` and ``resume``. The safe loader is registered only while
    a load runs, and the previous one is back when it returns or raises, so
    code outside the run, and a run that failed, load as they did.
    mmconta's configs opt in through ``configs/_base_/default_runtime.py``,
    and so does every stage run of :class:`~mmconta.engine.ContaRoundRunner`.
    """
    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        for name in LOADING_METHODS:
            method = getattr(runner, name)
            # A runner's val after its train calls before_run again.
            if not getattr(method, 'loads_safely', False):
                setattr(runner, name, _loading_safely(method))
