"""Train with a config: one stage, or (for configs/conta) every round.

Arguments follow mmseg's ``tools/train.py``; ``--data-root`` is ours.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmconta.registry import RUNNERS
from mmconta.utils import (PretrainedWeightsError, enable_amp,
                           prepare_distributed, prepare_pretrained,
                           register_all_modules, set_data_root,
                           set_num_classes)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Arguments tools/train.py and tools/test.py share."""
    parser.add_argument('--work-dir', help='where logs and outputs go')
    parser.add_argument(
        '--data-root', help='point every dataset of the config at this root')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, xxx=yyy format')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_with_rank(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse, and export --local-rank as LOCAL_RANK for mmengine."""
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train an mmconta config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--resume', action='store_true',
        help='resume from the latest checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--no-pretrained', action='store_true',
        help='train from random weights: drop every pretrained-weight load '
        '(for a round loop, of every stage), with a warning')
    add_common_args(parser)
    return parse_with_rank(parser)


def load_config(args: argparse.Namespace) -> Config:
    """Apply the command line to the config (shared with tools/test.py)."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.data_root is not None:
        set_data_root(cfg, args.data_root)
    return cfg


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args)
    if 'runner_type' not in cfg:
        # The round loop does this for each of its stages.
        set_num_classes(cfg, cfg.get('num_classes'))
    if args.amp:
        # A round-loop config hands it to every training stage.
        if 'runner_type' in cfg:
            cfg.amp = True
        else:
            enable_amp(cfg)
    if args.resume:
        cfg.resume = True
    if args.no_pretrained:
        cfg.no_pretrained = True
    prepare_distributed(cfg)
    try:
        if 'runner_type' in cfg:
            # It checks or drops each stage's loads before round 0.
            runner = RUNNERS.build(cfg)
        else:
            prepare_pretrained(cfg.model, cfg.get('no_pretrained', False))
            runner = Runner.from_cfg(cfg)
        runner.train()
    except PretrainedWeightsError as e:
        sys.exit(f'tools/train.py: error: {e}')


if __name__ == '__main__':
    main()
