"""Weights-only loading of local checkpoints, with an allow-list.

torch >= 2.6 loads with ``weights_only=True`` by default, but mmengine
0.10.7 calls ``torch.load`` without the argument, so the safety depends on
the environment (``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` turns it off for
every file) and a refusal is torch's generic ``UnpicklingError`` (forks of
mmengine may instead fall back to a full load). :func:`load_from_local_safely`
always loads weights-only with :data:`SAFE_GLOBALS`, names what a refused
file holds and loads the files a user trusts in full.

Importing mmconta changes no loader: mmengine loads local files (``load_from``,
``resume``, ``Pretrained`` init from a path) with
:func:`load_from_local_safely` only inside :func:`safe_loading`, which
mmconta's configs enter around each load of a run through
:class:`~mmconta.engine.SafeLoadingHook`.
"""
import logging
import os
import os.path as osp
import pickle
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Set, Union

import torch
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader

# Globals our checkpoints hold beyond torch's weights-only defaults: none.
# Found with torch.serialization.get_unsafe_globals_in_checkpoint on the
# checkpoints of real Runners (mmengine 0.10.7, torch 2.13) of
# configs/cam/cam_r18-w16_1xb16-12e_shapes-96x96.py and
# configs/seg/deeplab-aspp_r18-w16_1xb16-10e_shapes-96x96.py (SGD with
# momentum and paramwise lr, PolyLR, validation, save_best, dataset_meta)
# and of a CAMClassifier with AdamW: [] for each. WeightsOnlyCheckpointHook
# writes the message hub and numpy values as tensors and builtins; without
# it the same checkpoints need HistoryBuffer, numpy and builtins.getattr,
# and an allow-list holding getattr would let a checkpoint reach anything.
SAFE_GLOBALS: tuple = ()

TRUSTED_CHECKPOINTS_ENV = 'MMCONTA_TRUSTED_CHECKPOINTS'


def trusted_checkpoints() -> Set[str]:
    """Real paths of the files listed in ``MMCONTA_TRUSTED_CHECKPOINTS``.

    The variable holds paths separated by ``os.pathsep`` (``:`` on POSIX).
    """
    paths = os.environ.get(TRUSTED_CHECKPOINTS_ENV, '').split(os.pathsep)
    return {osp.realpath(osp.expanduser(p)) for p in paths if p}


def load_from_local_safely(filename: str,
                           map_location: Union[str, torch.device, Callable,
                                               None] = None) -> Any:
    """Load a local checkpoint weights-only, or in full if it is trusted.

    Inside :func:`safe_loading` mmengine's ``CheckpointLoader`` loads local
    paths with it, so the runner's ``load_from`` and ``resume`` go through it.

    Args:
        filename (str): Local checkpoint file.
        map_location (str | torch.device | Callable, optional): Same as
            :func:`torch.load`. Defaults to None.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        FileNotFoundError: ``filename`` is not a file.
        RuntimeError: The file holds globals outside torch's defaults and
            :data:`SAFE_GLOBALS` and is not listed in
            ``MMCONTA_TRUSTED_CHECKPOINTS``. The message names the globals.

    Note:
        ``weights_only=True`` is passed explicitly, so
        ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` no longer turns the check off;
        trust is given per file through ``MMCONTA_TRUSTED_CHECKPOINTS``.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    if osp.realpath(filename) in trusted_checkpoints():
        print_log(
            f'Loading {filename} with weights_only=False: it is listed in '
            f'{TRUSTED_CHECKPOINTS_ENV}, and unpickling it can run any code.',
            logger='current',
            level=logging.WARNING)
        return torch.load(
            filename, map_location=map_location, weights_only=False)
    with torch.serialization.safe_globals(list(SAFE_GLOBALS)):
        try:
            return torch.load(
                filename, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as error:
            # Inside the context, so that the allow-list is left out.
            unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(
                filename)
            reason = (f'it holds globals outside torch\'s defaults and '
                      f'mmconta.utils.safe_load.SAFE_GLOBALS: '
                      f'{", ".join(unsafe)}' if unsafe else
                      'weights-only unpickling failed (see the error above)')
            raise RuntimeError(
                f'Refusing to load checkpoint {filename}: {reason}. Loading '
                'it in full can run any code it carries. If you trust this '
                f'file, list it in {TRUSTED_CHECKPOINTS_ENV}, e.g. '
                f'{TRUSTED_CHECKPOINTS_ENV}={filename} (several files '
                f'separated by "{os.pathsep}").') from error


@contextmanager
def safe_loading() -> Iterator[None]:
    """Load local checkpoints with :func:`load_from_local_safely` inside.

    Registers it for local paths in mmengine's ``CheckpointLoader`` (prefix
    ``''``) and puts back the loader that was registered before on exit,
    also when the body raises. Contexts nest.

    Examples:
        >>> from mmconta.utils import safe_loading
        >>> with safe_loading():
        ...     runner.load_checkpoint('epoch_1.pth')
    """
    # mmengine has no public getter of a registered loader.
    previous = CheckpointLoader._schemes['']
    CheckpointLoader.register_scheme('', load_from_local_safely, force=True)
    try:
        yield
    finally:
        CheckpointLoader.register_scheme('', previous, force=True)
