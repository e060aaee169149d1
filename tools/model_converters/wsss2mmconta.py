"""Convert released CAM and affinity checkpoints of IRN, SEAM and PSA to
mmconta's models.

Sources (upstream ``torch.save(model.module.state_dict())`` files) and the
mmconta model each one loads into:

=========  ==============================================  ================
source     upstream network                                mmconta model
=========  ==============================================  ================
irn-cam    jiwoon-ahn/irn ``net/resnet50_cam.py`` Net      CAMClassifier,
                                                           cam_r50.py
irn-irn    jiwoon-ahn/irn ``net/resnet50_irn.py`` Net      IRNet,
                                                           irn_r50.py
seam       YudeWang/SEAM ``network/resnet38_SEAM.py`` Net  SEAMClassifier,
                                                           seam_r38.py
psa-cls    jiwoon-ahn/psa ``network/resnet38_cls.py`` Net  CAMClassifier,
                                                           cam_r38.py
psa-aff    jiwoon-ahn/psa ``network/resnet38_aff.py`` Net  AffinityNet,
                                                           affinitynet_r38.py
=========  ==============================================  ================

(configs under ``configs/_base_/models/``.) Only what maps one to one is
converted:

* IRN's CAM network: ``resnet50.*`` -> ``backbone.*`` (torchvision's names
  are mmseg's ``ResNet``'s), ``classifier`` -> ``head.classifier``.
* PSA's and SEAM's ResNet-38d keys are ``ResNet38d``'s, under
  ``backbone.``; PSA's ``fc8`` -> ``head.classifier``; SEAM's ``fc8``
  (background + K classes) -> ``head.classifier`` without its background
  row 0, which SEAM never uses (see ``SEAMClassifier``); SEAM's ``f8_3``,
  ``f8_4``, ``f9`` -> ``pcm.reduce_convs.0``, ``.1``, ``pcm.embed_conv``;
  PSA's AffinityNet ``f8_3``, ``f8_4``, ``f8_5``, ``f9`` ->
  ``level_convs.0``, ``.1``, ``.2``, ``fuse``.
* IRN's inter-pixel relation network does not map: mmconta's ``IRNet``
  reads the four ResNet stages only and fuses the displacement levels in
  one step, IRN also reads the stem (``fc_edge1``, ``fc_dp1``) and fuses
  in two (``fc_dp6``, ``fc_dp7``), so ``edge_fuse`` (128 inputs, IRN's
  ``fc_edge6`` 160) and ``disp_fuse.0`` (896, IRN's ``fc_dp7.0`` 448) have
  no counterpart. ``irn-irn`` converts what does map and fails naming the
  rest.

Upstream state dicts hold each module under several names (IRN's
``stage1.0`` is ``resnet50.conv1``, ``backbone.0`` is ``stage1``, ...):
aliases must hold equal tensors and are converted once. A ``module.``
prefix (DataParallel) is removed.

Output: an mmengine checkpoint ``{'meta': {...}, 'state_dict': {...}}``
that ``mmengine.runner.load_checkpoint`` loads strictly into the model
built from the config (``num_batches_tracked`` may be absent), e.g. as a
config's ``load_from``. Every key and shape is checked against that model
(built on the meta device, without weights).

Example::

    python tools/model_converters/wsss2mmconta.py seam \\
        resnet38_SEAM.pth work_dirs/seam_voc_from_upstream.pth
"""
import argparse
import os
import os.path as osp
import pickle
import re
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

REPO = Path(__file__).resolve().parents[2]
MODEL_CONFIGS = REPO / 'configs' / '_base_' / 'models'

# ResNet-38d keys of PSA's and SEAM's networks (conv1a, b2 ... b7, bn7).
R38_KEY = r'((?:conv1a|bn7|b[2-7](?:_\d+)?)\..+)'


def drop_background_row(key: str, value: torch.Tensor,
                        shape: Tuple[int, ...]) -> torch.Tensor:
    """SEAM's fc8 scores background first: keep the K foreground rows."""
    if value.shape[0] != shape[0] + 1:
        raise ValueError(
            f'{key}: {value.shape[0]} outputs, expected background + '
            f'{shape[0]} classes ({shape[0] + 1})')
    return value[1:]


@dataclass
class Source:
    """How an upstream state dict maps to an mmconta model.

    Attributes:
        upstream (str): The upstream network, for messages and meta.
        model (str): Config file under ``configs/_base_/models`` of the
            mmconta model.
        aliases (list): ``(regex, replacement)`` renaming alias keys to the
            canonical upstream key, applied until nothing changes.
        rules (list): ``(regex, replacement)``: canonical upstream key ->
            mmconta key (first full match).
        ignored (list[str]): Regexes of upstream keys that hold no weights
            (training constants), dropped.
        transforms (dict): mmconta key -> ``f(key, tensor, target shape)``
            for values that change shape.
        note (str): Why unmapped keys are not converted.
    """
    upstream: str
    model: str
    rules: List[Tuple[str, str]]
    aliases: List[Tuple[str, str]] = field(default_factory=list)
    ignored: List[str] = field(default_factory=list)
    transforms: Dict[str, Callable] = field(default_factory=dict)
    note: str = ''


def _resnet50_aliases(stem: Sequence[str],
                      stages: Sequence[str]) -> List[Tuple[str, str]]:
    """IRN's ``stage{i}`` and ``backbone.{i}`` views of ``resnet50``.

    ``stem`` lists the ``stage1`` children (conv1, bn1, relu, maxpool,
    [layer1]); ``stages`` the ``resnet50`` layer of each later stage.
    """
    aliases = [(r'backbone\.(\d)\.',
                lambda m: f'stage{int(m.group(1)) + 1}.')]
    aliases += [(rf'stage1\.{i}\.', f'resnet50.{name}.')
                for i, name in enumerate(stem) if name]
    aliases += [(rf'stage{i + 2}\.0\.', f'resnet50.{name}.')
                for i, name in enumerate(stages)]
    return aliases


SOURCES: Dict[str, Source] = {
    'irn-cam':
    Source(
        upstream='jiwoon-ahn/irn net/resnet50_cam.py Net',
        model='cam_r50.py',
        aliases=_resnet50_aliases(
            ('conv1', 'bn1', '', '', 'layer1'),
            ('layer2', 'layer3', 'layer4')) + [
                (r'newly_added\.0\.', 'classifier.')],
        rules=[(r'resnet50\.(.+)', r'backbone.\1'),
               (r'classifier\.weight', 'head.classifier.weight')]),
    'irn-irn':
    Source(
        upstream='jiwoon-ahn/irn net/resnet50_irn.py Net',
        model='irn_r50.py',
        aliases=_resnet50_aliases(
            ('conv1', 'bn1'),
            ('layer1', 'layer2', 'layer3', 'layer4')) + [
                (r'edge_layers\.(\d)\.',
                 lambda m: f'fc_edge{int(m.group(1)) + 1}.'),
                (r'dp_layers\.(\d)\.',
                 lambda m: f'fc_dp{int(m.group(1)) + 1}.'),
                (r'fc_dp7\.4\.', 'mean_shift.')],
        # AffinityDisplacementLoss's pair indices and targets.
        ignored=[r'path_indices\d+', r'disp_target'],
        rules=[(r'resnet50\.(.+)', r'backbone.\1'),
               (r'fc_edge([2-5])\.0\.weight',
                lambda m: f'edge_levels.{int(m.group(1)) - 2}.conv.weight'),
               (r'fc_edge([2-5])\.1\.(weight|bias)',
                lambda m: f'edge_levels.{int(m.group(1)) - 2}.gn.'
                f'{m.group(2)}'),
               (r'fc_dp([2-5])\.0\.weight',
                lambda m: f'disp_levels.{int(m.group(1)) - 2}.conv.weight'),
               (r'fc_dp([2-5])\.1\.(weight|bias)',
                lambda m: f'disp_levels.{int(m.group(1)) - 2}.gn.'
                f'{m.group(2)}'),
               (r'fc_dp7\.3\.weight', 'disp_fuse.1.weight'),
               (r'mean_shift\.running_mean', 'disp_fuse.2.running_mean')],
        note="mmconta's IRNet reads the four ResNet stages and fuses the "
        'displacement levels in one step; IRN also reads the stem '
        '(fc_edge1, fc_dp1) and fuses in two steps (fc_dp6, then fc_dp7), '
        'so its fusion layers (fc_edge6: 160 inputs, fc_dp7.0: 448) have no '
        "counterpart in IRNet's edge_fuse (128) and disp_fuse.0 (896)"),
    'seam':
    Source(
        upstream='YudeWang/SEAM network/resnet38_SEAM.py Net',
        model='seam_r38.py',
        rules=[(R38_KEY, r'backbone.\1'),
               (r'fc8\.weight', 'head.classifier.weight'),
               (r'f8_3\.weight', 'pcm.reduce_convs.0.weight'),
               (r'f8_4\.weight', 'pcm.reduce_convs.1.weight'),
               (r'f9\.weight', 'pcm.embed_conv.weight')],
        transforms={'head.classifier.weight': drop_background_row}),
    'psa-cls':
    Source(
        upstream='jiwoon-ahn/psa network/resnet38_cls.py Net',
        model='cam_r38.py',
        rules=[(R38_KEY, r'backbone.\1'),
               (r'fc8\.weight', 'head.classifier.weight')]),
    'psa-aff':
    Source(
        upstream='jiwoon-ahn/psa network/resnet38_aff.py Net',
        model='affinitynet_r38.py',
        rules=[(R38_KEY, r'backbone.\1'),
               (r'f8_3\.weight', 'level_convs.0.weight'),
               (r'f8_4\.weight', 'level_convs.1.weight'),
               (r'f8_5\.weight', 'level_convs.2.weight'),
               (r'f9\.weight', 'fuse.weight')]),
}


def _short(keys: Sequence[str], limit: int = 20) -> str:
    keys = list(keys)
    more = f', ... ({len(keys) - limit} more)' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def canonical_key(key: str, aliases: Sequence[Tuple[str, Callable]]) -> str:
    """``key`` with alias prefixes renamed until none applies."""
    for _ in range(10):
        for pattern, repl in aliases:
            new = re.sub('^' + pattern, repl, key, count=1)
            if new != key:
                key = new
                break
        else:
            return key
    raise ValueError(f'alias loop at {key}')


def map_key(key: str, rules: Sequence[Tuple[str, Callable]]) -> Optional[str]:
    """The mmconta key of a canonical upstream key, None if none maps."""
    for pattern, repl in rules:
        match = re.fullmatch(pattern, key)
        if match:
            return match.expand(repl) if isinstance(repl, str) else repl(
                match)
    return None


def target_model_config(source: Source, config: Optional[str] = None):
    """The model config: ``config``'s ``model``, or the source's default,
    with pretrained loads dropped."""
    from mmengine.config import Config

    from mmconta.utils import drop_pretrained
    model = Config.fromfile(config or str(MODEL_CONFIGS / source.model)).model
    drop_pretrained(model)
    return model


def target_shapes(model_cfg) -> Dict[str, Tuple[int, ...]]:
    """Keys and shapes of the model's state dict (built on the meta
    device, so no memory or initialisation)."""
    from mmconta.registry import MODELS
    from mmconta.utils import register_all_modules
    register_all_modules()
    with torch.device('meta'):
        model = MODELS.build(model_cfg)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def upstream_state_dict(obj) -> Dict[str, torch.Tensor]:
    """The state dict of a loaded upstream file, ``module.`` removed."""
    if isinstance(obj, dict) and isinstance(obj.get('state_dict'), dict):
        obj = obj['state_dict']
    if not isinstance(obj, dict) or not all(
            isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError('not a state dict of tensors')
    if obj and all(k.startswith('module.') for k in obj):
        obj = {k[len('module.'):]: v for k, v in obj.items()}
    return obj


def convert(state_dict: Dict[str, torch.Tensor], source: Source,
            shapes: Dict[str, Tuple[int, ...]]
            ) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """Rename an upstream state dict to the mmconta model's keys.

    Args:
        state_dict (dict): The upstream tensors by upstream key.
        source (Source): The mapping.
        shapes (dict): The mmconta model's keys and shapes.

    Returns:
        tuple[OrderedDict, list[str]]: The mmconta state dict (model
        order), and the upstream keys dropped as aliases or ignored.

    Raises:
        ValueError: Upstream keys that map to nothing, aliases that differ,
            mmconta keys without a value (but ``num_batches_tracked``),
            shape mismatches.
    """
    canonical: Dict[str, torch.Tensor] = {}
    origin: Dict[str, str] = {}
    dropped, errors, alias_pairs = [], [], []
    for key, value in state_dict.items():
        if any(re.fullmatch(p, key) for p in source.ignored):
            dropped.append(key)
            continue
        name = canonical_key(key, source.aliases)
        if name != key:
            alias_pairs.append((key, name, value))
            continue
        canonical[name] = value
        origin[name] = key
    for key, name, value in alias_pairs:
        if name not in canonical:
            canonical[name] = value
            origin[name] = key
        elif not (canonical[name].shape == value.shape
                  and torch.equal(canonical[name], value)):
            errors.append(f'{key} differs from {name}, which it aliases')
        else:
            dropped.append(key)
    out, unmapped = {}, []
    for name, value in canonical.items():
        key = map_key(name, source.rules)
        if key is None or key not in shapes:
            unmapped.append(name if key is None else f'{name} (-> {key})')
            continue
        if key in out:
            errors.append(f'{origin[name]} maps to {key} a second time')
            continue
        if key in source.transforms:
            try:
                value = source.transforms[key](name, value, shapes[key])
            except ValueError as e:
                errors.append(str(e))
                continue
        if tuple(value.shape) != shapes[key]:
            errors.append(f'{origin[name]} -> {key}: shape '
                          f'{tuple(value.shape)}, the model has '
                          f'{shapes[key]}')
            continue
        out[key] = value
    missing = [k for k in shapes
               if k not in out and not k.endswith('num_batches_tracked')]
    if unmapped:
        errors.append(f'{len(unmapped)} upstream keys have no mmconta '
                      f'counterpart: {_short(unmapped)}')
    if missing:
        errors.append(f'{len(missing)} mmconta keys have no upstream '
                      f'value: {_short(missing)}')
    if errors:
        note = f' ({source.note})' if source.note and (
            unmapped or missing) else ''
        raise ValueError(f'cannot convert {source.upstream}: ' +
                         '; '.join(errors) + note)
    ordered = OrderedDict((k, out[k]) for k in shapes if k in out)
    return ordered, dropped


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a released IRN, SEAM or PSA checkpoint to an '
        "mmconta checkpoint of the matching model. Sources: irn-cam (IRN's "
        'resnet50_cam -> CAMClassifier, configs/_base_/models/cam_r50.py); '
        "irn-irn (IRN's resnet50_irn -> IRNet, irn_r50.py: its fusion layers "
        "do not map, so it fails naming them); seam (SEAM's resnet38_SEAM "
        '-> SEAMClassifier, seam_r38.py; fc8\'s background row dropped); '
        "psa-cls (PSA's resnet38_cls -> CAMClassifier, cam_r38.py); "
        "psa-aff (PSA's resnet38_aff -> AffinityNet, affinitynet_r38.py).")
    parser.add_argument('source', choices=sorted(SOURCES),
                        help='the upstream network')
    parser.add_argument('src', help='the upstream .pth (a state dict)')
    parser.add_argument(
        'dst', help="the output: {'meta': ..., 'state_dict': ...}, for "
        'mmengine.runner.load_checkpoint or a config\'s load_from')
    parser.add_argument(
        '--config', help='an mmconta config whose model to convert to '
        '(e.g. a COCO config with num_classes=80); defaults to the '
        "source's model")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    source = SOURCES[args.source]
    shapes = target_shapes(target_model_config(source, args.config))
    try:
        loaded = torch.load(args.src, map_location='cpu', weights_only=True)
        state_dict = upstream_state_dict(loaded)
    except (ValueError, RuntimeError, OSError, pickle.UnpicklingError) as e:
        raise ValueError(f'{args.src}: cannot read a state dict: {e}') from e
    converted, dropped = convert(state_dict, source, shapes)
    meta = dict(
        converted_from=args.source,
        upstream=source.upstream,
        src=osp.basename(args.src),
        model=args.config or source.model,
        converter='tools/model_converters/wsss2mmconta.py')
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(dict(meta=meta, state_dict=converted), args.dst)
    print(f'converted {len(converted)} tensors of {source.upstream} to '
          f'{args.dst}; dropped {len(dropped)} aliases and training '
          'constants')
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (ValueError, OSError) as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(1)
