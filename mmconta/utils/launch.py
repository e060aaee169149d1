"""What the entry points do to a config before the Runner sees it."""
import logging
import os
from typing import Any, Iterator

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.logging import print_log


def config_dicts(node: Any) -> Iterator[dict]:
    """Every dict of a config tree (nested in dicts, lists and tuples),
    each before the dicts inside it; a caller may change a dict before its
    contents are visited."""
    if isinstance(node, dict):
        yield node
        children = list(node.values())
    elif isinstance(node, (list, tuple)):
        children = node
    else:
        return
    for child in children:
        yield from config_dicts(child)


def set_data_root(cfg: Config, data_root: str) -> int:
    """Point every ``data_root`` of a config at ``data_root``.

    Walks the whole config (datasets nested in wrappers, loops and stages
    included) so that one flag moves a run to another copy of the data.

    Returns:
        int: How many ``data_root`` entries were changed.
    """
    changed = 0
    for node in config_dicts(cfg._cfg_dict):
        if 'data_root' in node and isinstance(node['data_root'],
                                              (str, type(None))):
            node['data_root'] = data_root
            changed += 1
    return changed


def enable_amp(cfg: Config) -> None:
    """Switch a training config to mixed precision, on a GPU or a CPU.

    With CUDA, mmengine's ``AmpOptimWrapper`` (float16, dynamic loss
    scale); without, mmconta's ``AutocastOptimWrapper`` (bfloat16 autocast,
    which mmengine 0.10.7's wrapper refuses off the GPU).
    """
    if 'optim_wrapper' not in cfg:
        raise ValueError('--amp: the config has no optim_wrapper')
    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        cfg.optim_wrapper.type = 'AutocastOptimWrapper'


def prepare_distributed(cfg: Config) -> None:
    """Make mmengine's distributed set-up work without a GPU.

    mmengine 0.10.7's ``init_dist('pytorch')`` calls ``torch.cuda.set_device``
    and its DDP wrapper passes ``device_ids=[LOCAL_RANK]``, both of which fail
    on a CPU. Without CUDA we create the gloo process group ourselves (the
    Runner then skips its own ``init_dist``) and wrap the model without device
    ids, and ``SyncBN`` becomes ``BN`` (:func:`sync_bn_to_bn`). With CUDA,
    nothing changes.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    if not torch_dist.is_initialized():
        if cfg.launcher == 'slurm':
            _slurm_to_torch_env()
        if 'RANK' not in os.environ:
            raise RuntimeError(
                f'--launcher {cfg.launcher} needs RANK, WORLD_SIZE and '
                'MASTER_ADDR in the environment: start with torchrun '
                '(tools/dist_train.sh) or slurm (tools/slurm_train.sh)')
        torch_dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False)
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if sync_bn_to_bn(cfg.get('model')):
        print_log(
            'SyncBN needs a GPU: each process normalises its own batch (BN) '
            'in this CPU run', logger='current', level=logging.WARNING)


def sync_bn_to_bn(node: Any) -> int:
    """Turn every ``SyncBN`` norm config into ``BN``, in place.

    torch's DistributedDataParallel refuses SyncBatchNorm on CPU modules, so
    a multi-process CPU run (gloo) of a config written for GPUs (DeepLab's
    ``norm_cfg=dict(type='SyncBN')``) normalises per process instead.

    Returns:
        int: How many norm configs were changed.
    """
    changed = 0
    for config in config_dicts(node):
        if config.get('type') == 'SyncBN':
            config['type'] = 'BN'
            changed += 1
    return changed


def _slurm_to_torch_env() -> None:
    """Translate slurm's task variables into torch.distributed's."""
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ['SLURM_LOCALID'])
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        raise RuntimeError('slurm on a CPU: export MASTER_ADDR (the first '
                           'node of the job) before srun')
