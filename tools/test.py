"""Test (or run a config's test loop, e.g. CAM generation) from a checkpoint.

The final metrics also go to ``<work_dir>/test_metrics.json``.

Arguments follow mmseg's ``tools/test.py``; ``--data-root`` is ours.
"""
import argparse
import json
import os.path as osp
import sys

from mmengine.dist import is_main_process
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from train import (add_common_args, load_config,  # noqa: E402
                   parse_with_rank)

from mmconta.registry import RUNNERS  # noqa: E402
from mmconta.utils import prepare_distributed, register_all_modules  # noqa


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test an mmconta config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    add_common_args(parser)
    return parse_with_rank(parser)


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    prepare_distributed(cfg)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else \
        Runner.from_cfg(cfg)
    metrics = runner.test()
    if is_main_process():
        # For scripts that collect results (tools/experiments/).
        with open(osp.join(cfg.work_dir, 'test_metrics.json'), 'w') as f:
            json.dump(metrics, f, indent=2)


if __name__ == '__main__':
    main()
