"""Pretrained weights: find them before training, or train without them.

A missing weight file or an unreachable download surfaces in mmengine as a
stack trace from deep inside ``init_weights``, after the data is loaded. The
entry points check every load first and fail in one line that names the
file or URL and ``--no-pretrained``, which drops the loads instead.
"""
import logging
import os.path as osp
import socket
from typing import Any, List, Optional, Tuple
from urllib.parse import urlparse

import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import (_get_mmengine_home,
                                        get_deprecated_model_names,
                                        get_external_models,
                                        get_mmcls_models,
                                        get_torchvision_models)

from .launch import config_dicts

NO_PRETRAINED_HINT = ('or train from random weights: tools/train.py '
                      '--no-pretrained (config key no_pretrained=True)')
# Schemes whose files mmengine fetches from elsewhere and this check cannot
# see (object stores, PAVI): left to mmengine.
_UNCHECKED_SCHEMES = ('s3://', 'petrel://', 'pavi://')


class PretrainedWeightsError(FileNotFoundError):
    """Pretrained weights a config loads are neither on disk nor
    downloadable."""


def pretrained_sources(node: Any, path: str = 'model') -> List[Tuple[str,
                                                                     str]]:
    """Every pretrained-weight load of a (model) config.

    Returns:
        list[tuple[str, str]]: ``(config key, checkpoint)`` pairs, e.g.
        ``('model.backbone.init_cfg.checkpoint', 'torchvision://resnet50')``.
    """
    found = []
    if isinstance(node, dict):
        init_cfgs = node.get('init_cfg')
        for i, init_cfg in enumerate(init_cfgs if isinstance(
                init_cfgs, (list, tuple)) else [init_cfgs]):
            if isinstance(init_cfg, dict) and init_cfg.get(
                    'type') == 'Pretrained':
                key = f'{path}.init_cfg' + (f'[{i}]' if isinstance(
                    init_cfgs, (list, tuple)) else '')
                found.append((f'{key}.checkpoint', init_cfg['checkpoint']))
        if isinstance(node.get('pretrained'), str):
            found.append((f'{path}.pretrained', node['pretrained']))
        for key, value in node.items():
            if key != 'init_cfg':
                found += pretrained_sources(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            found += pretrained_sources(item, f'{path}[{i}]')
    return found


def drop_pretrained(node: Any) -> int:
    """Remove every pretrained-weight load from a (model) config, in place.

    ``init_cfg=dict(type='Pretrained', ...)`` entries are dropped and
    ``pretrained`` keys set to None, so that a model builds with random
    weights where none can be downloaded (tests, benchmarks, offline use).

    Returns:
        int: How many loads were removed.
    """
    removed = 0
    for config in config_dicts(node):
        init_cfg = config.get('init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            config.pop('init_cfg')
            removed += 1
        elif isinstance(init_cfg, (list, tuple)):
            kept = [c for c in init_cfg if not (
                isinstance(c, dict) and c.get('type') == 'Pretrained')]
            removed += len(init_cfg) - len(kept)
            config['init_cfg'] = kept or None
        if config.get('pretrained') is not None:
            config['pretrained'] = None
            removed += 1
    return removed


def checkpoint_location(checkpoint: str) -> Tuple[str, Optional[str]]:
    """Where mmengine will read a checkpoint from.

    Returns:
        tuple[str, str | None]: The local file, and the URL it is downloaded
        from when missing (None for a plain file). A URL's file is torch
        hub's cache, ``<torch.hub.get_dir()>/checkpoints/<name>``.
    """
    url = checkpoint
    for prefix, table in (('torchvision://', get_torchvision_models),
                          ('modelzoo://', get_torchvision_models),
                          ('open-mmlab://', get_external_models),
                          ('openmmlab://', get_external_models),
                          ('mmcls://', get_mmcls_models)):
        if checkpoint.startswith(prefix):
            name = checkpoint[len(prefix):]
            if 'mmlab' in prefix:
                name = get_deprecated_model_names().get(name, name)
            urls = table()
            if name not in urls:
                raise PretrainedWeightsError(
                    f'unknown model name {checkpoint}: mmengine lists no '
                    f'{prefix} model {name!r}')
            url = urls[name]
            if 'mmlab' in prefix and not url.startswith(
                    ('http://', 'https://')):
                # open_mmlab.json may name a file under mmengine's home.
                return osp.join(_get_mmengine_home(), url), None
            break
    if not url.startswith(('http://', 'https://')):
        return url, None
    cached = osp.join(torch.hub.get_dir(), 'checkpoints',
                      osp.basename(urlparse(url).path))
    return cached, url


def unreachable(url: str, timeout: float = 5.0) -> Optional[str]:
    """Why ``url``'s host cannot be reached, or None when it can."""
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == 'https' else 80)
    try:
        socket.create_connection((parsed.hostname, port), timeout).close()
    except OSError as e:
        return f'{type(e).__name__}: {e}'
    return None


def check_pretrained(model_cfg: Any, where: str = '') -> int:
    """Check that every pretrained load of a model config can be read.

    A local file must exist; a URL must be in torch hub's cache or its host
    reachable (mmengine then downloads it as usual).

    Args:
        model_cfg: The ``model`` of a config.
        where (str): Prefix of the error message (e.g. the stage).

    Returns:
        int: How many loads were checked.

    Raises:
        PretrainedWeightsError: One line naming the file or URL, the config
            key and ``--no-pretrained``.
    """
    sources = pretrained_sources(model_cfg)
    for key, checkpoint in sources:
        if checkpoint.startswith(_UNCHECKED_SCHEMES):
            continue
        try:
            local, url = checkpoint_location(checkpoint)
        except PretrainedWeightsError as e:
            raise PretrainedWeightsError(
                f'{where}{e} ({key}); {NO_PRETRAINED_HINT}') from None
        if osp.isfile(local):
            continue
        if url is None:
            raise PretrainedWeightsError(
                f'{where}pretrained weights not found: {checkpoint} ({key}); '
                'convert or copy them there (docs/user_guides/'
                f'pretrained_weights.md), {NO_PRETRAINED_HINT}')
        reason = unreachable(url)
        if reason is not None:
            raise PretrainedWeightsError(
                f'{where}cannot download pretrained weights {checkpoint} '
                f'({key}) from {url} ({reason}); put the file at {local}, '
                f'{NO_PRETRAINED_HINT}')
    return len(sources)


def prepare_pretrained(model_cfg: Any,
                       no_pretrained: bool,
                       where: str = '') -> int:
    """Drop a model config's pretrained loads (``no_pretrained``, with a
    warning) or check that they can be read.

    Returns:
        int: How many loads were dropped or checked.
    """
    if not no_pretrained:
        return check_pretrained(model_cfg, where)
    sources = pretrained_sources(model_cfg)
    drop_pretrained(model_cfg)
    if sources:
        print_log(
            f'{where}no_pretrained: random initialisation instead of '
            + ', '.join(c for _, c in sources)
            + '; figures will be far below those of pretrained models',
            logger='current', level=logging.WARNING)
    return len(sources)
