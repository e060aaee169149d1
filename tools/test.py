"""Test a config: one stage from a checkpoint, or a finished round loop.

A single-stage config runs its test loop (e.g. CAM generation) from
CHECKPOINT; its final metrics also go to ``<work_dir>/test_metrics.json``.
A round-loop config (``configs/conta``, a ``ContaRoundRunner``) takes no
checkpoint: ``ContaRoundRunner.test`` evaluates round ``--round`` (default:
the last finished one) of the loop in the work dir again from its stages'
files and checkpoints, into ``<work_dir>/round_<t>/test_metrics.json``.

Arguments follow mmseg's ``tools/test.py``; ``--data-root`` and ``--round``
are ours.
"""
import argparse
import json
import os.path as osp
import sys

from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from train import (add_common_args, load_config,  # noqa: E402
                   parse_with_rank)

from mmconta.engine import ContaRoundRunner  # noqa: E402
from mmconta.registry import RUNNERS  # noqa: E402
from mmconta.utils import (prepare_distributed,  # noqa: E402
                           register_all_modules, set_num_classes)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Test an mmconta config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        'checkpoint', nargs='?',
        help='checkpoint file (single-stage configs only: a round loop '
        'tests its stages\' own checkpoints)')
    parser.add_argument(
        '--round', type=int,
        help='round loops: the round to evaluate (default: the last one '
        'whose stages are all finished)')
    add_common_args(parser)
    return parser


def is_round_loop(cfg: Config) -> bool:
    """Whether the config's runner, as the registry resolves its
    ``runner_type``, is a :class:`ContaRoundRunner`."""
    runner_type = cfg.get('runner_type')
    runner_cls = RUNNERS.get(runner_type) if isinstance(runner_type,
                                                        str) else runner_type
    return isinstance(runner_cls, type) and issubclass(runner_cls,
                                                       ContaRoundRunner)


def main() -> None:
    parser = build_parser()
    args = parse_with_rank(parser)
    register_all_modules(init_default_scope=False)
    cfg = load_config(args)
    round_loop = is_round_loop(cfg)
    if round_loop and args.checkpoint is not None:
        parser.error(f'{args.config} is a round loop, which tests its '
                     'stages\' own checkpoints: drop CHECKPOINT (choose the '
                     'round with --round)')
    if not round_loop:
        if args.checkpoint is None:
            parser.error(f'{args.config} is a single-stage config: '
                         'CHECKPOINT is required')
        if args.round is not None:
            parser.error('--round is for round-loop configs '
                         '(configs/conta), not ' + args.config)
        cfg.load_from = args.checkpoint
        # After the arguments are checked: this reads the data's class list.
        set_num_classes(cfg, cfg.get('num_classes'))
    prepare_distributed(cfg)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else \
        Runner.from_cfg(cfg)
    if round_loop:
        try:
            # Refuse here, before any stage is built, with the reason.
            t = runner.round_to_test(args.round)
        except (FileNotFoundError, ValueError) as e:
            parser.error(str(e))
        runner.test(t)
        return
    metrics = runner.test()
    if is_main_process():
        # For scripts that collect results (tools/experiments/).
        with open(osp.join(cfg.work_dir, 'test_metrics.json'), 'w') as f:
            json.dump(metrics, f, indent=2)


if __name__ == '__main__':
    main()
