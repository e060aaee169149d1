"""Dry run of a flagship round loop at its real sizes, cut only in images.

Runs a ``configs/conta/*_{voc,coco}.py`` loop for ``--rounds`` rounds with
every stage at its real model, crop, scales and CRF, on a copy of the
dataset's layout (e.g. the stand-in of ``make_confounded_shapes.py
--layout voc``), from random weights (``--no-pretrained``), with 1 and N
processes. Only the number of images and iterations is cut, by one
``--cfg-options`` set that :func:`cut_options` derives from the stage
configs and the script prints:

* each stage's datasets keep their first ``--images`` training-split images
  (``--val-images`` of a val split), through mmengine's ``indices``;
* epoch-based training runs 1 epoch, iteration-based ``--iters``
  iterations (validation and checkpoint at the end).

Each stage's ``DONE`` record (rank 0) gives seconds, the median time of one
training iteration or test batch, and the peak memory of the process; the
stage folder gives the files written. The full schedule's cost is then
extrapolated per stage from the unmodified config: training iterations
(``max_iters``, or epochs x the split's real size / (batch x processes))
times the time of one iteration, and test images / processes times the time
of one batch of 1. Results go to ``<work-dir>/results.json`` and a Markdown
table on stdout::

    python tools/dataset_converters/make_confounded_shapes.py \\
        data/voc_standin --layout voc --num-train 16 --num-val 4
    python tools/experiments/dry_run.py configs/conta/irn_voc.py \\
        --data-root data/voc_standin --nprocs 1 2
"""
import argparse
import json
import math
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List

from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGE_CONFIGS = ('cls', 'refine', 'seg')
# Images of each split of the real datasets (IRN's and SEAM's splits).
SPLIT_SIZES = {
    'voc': {'train_aug': 10582, 'train': 1464, 'val': 1449},
    'coco': {'train': 82081, 'val': 40137},
}
# The stages each loop stage runs on (cam and refine test on the training
# split, seg_train predicts it).
TEST_STAGES = {'cam': 'cls', 'refine': 'refine', 'seg_train': 'seg'}
TRAIN_STAGES = {'cls': 'cls', 'refiner': 'refine', 'seg': 'seg'}
# The round loop's stage order (ContaRoundRunner.stages_of_round).
STAGE_ORDER = ('instances', 'cls', 'cam', 'refiner', 'refine', 'seg',
               'seg_train')


def stage_configs(cfg: Config) -> Dict[str, Config]:
    """The stage configs of a round-loop config, with its cfg_options."""
    stages = {}
    for name in STAGE_CONFIGS:
        if cfg.get(name) is None:
            continue
        stage = Config.fromfile(cfg[name]['config'])
        stage.merge_from_dict(dict(cfg[name].get('cfg_options') or {}))
        stages[name] = stage
    return stages


def innermost(dataset: dict, path: str):
    """A dataset config under its wrappers (PseudoLabelDataset, ...)."""
    while isinstance(dataset.get('dataset'), dict):
        dataset, path = dataset['dataset'], path + '.dataset'
    return dataset, path


def is_val_split(dataset: dict) -> bool:
    return 'val' in osp.basename(str(dataset.get('ann_file', '')))


def cut_options(stages: Dict[str, Config], images: int, val_images: int,
                iters: int) -> Dict[str, object]:
    """The ``--cfg-options`` that cut a round loop to a dry run."""
    options = {}
    for name, stage in stages.items():
        cut = {}
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            if not stage.get(loader):
                continue
            dataset, path = innermost(stage[loader]['dataset'],
                                      f'{loader}.dataset')
            cut[f'{path}.indices'] = (
                val_images if is_val_split(dataset) else images)
        loop = stage.get('train_cfg') or {}
        if loop.get('type') == 'IterBasedTrainLoop':
            cut.update({
                'train_cfg.max_iters': iters,
                'train_cfg.val_interval': iters,
                'default_hooks.checkpoint.interval': iters
            })
        elif loop:
            cut['train_cfg.max_epochs'] = 1
        for key, value in cut.items():
            options[f'{name}.cfg_options.{key}'] = value
    return options


def split_size(dataset: dict, layout: str) -> int:
    split = osp.splitext(osp.basename(innermost(dataset, '')[0].get(
        'ann_file', '')))[0]
    return SPLIT_SIZES[layout][split]


def full_schedule(stages: Dict[str, Config], layout: str,
                  nprocs: int) -> Dict[str, dict]:
    """Iterations (training) and images per process (test) of each loop
    stage at full size with ``nprocs`` processes."""
    full = {}
    for loop_stage, name in TRAIN_STAGES.items():
        if name not in stages:
            continue
        stage = stages[name]
        loop = stage.train_cfg
        if loop.get('type') == 'IterBasedTrainLoop':
            iterations = loop.max_iters
        else:
            loader = stage.train_dataloader
            per_epoch = math.ceil(
                split_size(loader.dataset, layout) /
                (loader.batch_size * nprocs))
            iterations = per_epoch * loop.max_epochs
        full[loop_stage] = dict(iterations=iterations)
    for loop_stage, name in TEST_STAGES.items():
        if name not in stages:
            continue
        stage = stages[name]
        loader = (stage.train_dataloader if loop_stage == 'seg_train' else
                  stage.test_dataloader)
        full[loop_stage] = dict(
            images=math.ceil(split_size(loader.dataset, layout) / nprocs))
    return full


def folder_size(path: str) -> Dict[str, float]:
    files, size = 0, 0
    for root, _, names in os.walk(path):
        for name in names:
            files += 1
            size += osp.getsize(osp.join(root, name))
    return dict(files=files, mb_written=round(size / 2**20, 1))


def run_loop(args, options: Dict[str, object], nprocs: int,
             work_dir: str) -> float:
    train = [
        osp.join(REPO, 'tools/train.py'), args.config, '--work-dir', work_dir,
        '--data-root', args.data_root, '--no-pretrained', '--cfg-options',
        f'rounds={args.rounds}', *[f'{k}={v}' for k, v in options.items()]
    ]
    if nprocs > 1:
        command = [
            sys.executable, '-m', 'torch.distributed.run',
            f'--nproc_per_node={nprocs}', f'--master_port={args.port}',
            *train, '--launcher', 'pytorch'
        ]
    else:
        command = [sys.executable, *train]
    os.makedirs(work_dir, exist_ok=True)
    start = time.time()
    with open(osp.join(work_dir, 'dry_run.log'), 'w') as log:
        subprocess.run(command, cwd=REPO, check=True, stdout=log,
                       stderr=subprocess.STDOUT)
    return time.time() - start


def collect(work_dir: str, rounds: int, full: Dict[str, dict]) -> List[dict]:
    rows = []
    for t in range(rounds):
        round_dir = osp.join(work_dir, f'round_{t}')
        for stage in sorted(os.listdir(round_dir), key=lambda s: (
                STAGE_ORDER.index(s) if s in STAGE_ORDER else len(
                    STAGE_ORDER), s)):
            done = osp.join(round_dir, stage, 'DONE')
            if not osp.isfile(done):
                continue
            with open(done) as f:
                record = json.load(f)
            row = dict(round=t, stage=stage, seconds=record['seconds'],
                       peak_rss_mb=record.get('peak_rss_mb'),
                       peak_cuda_mb=record.get('peak_cuda_mb'),
                       **folder_size(osp.join(round_dir, stage)))
            per_item = record.get('seconds_per_iter') or record.get(
                'seconds_per_batch')
            row['seconds_per_item'] = per_item
            schedule = full.get(stage, {})
            count = schedule.get('iterations') or schedule.get('images')
            if per_item and count:
                row['full_items'] = count
                row['full_hours'] = round(per_item * count / 3600, 2)
            rows.append(row)
    return rows


def table(results: List[dict]) -> str:
    lines = [
        '| config | processes | round | stage | s | s / iter or image | '
        'peak RSS MiB | peak CUDA MiB | files | MiB written | full-size '
        'iters or images per process | full-size hours |',
        '|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|'
    ]

    def cell(value) -> str:
        return '-' if value is None else str(value)

    for result in results:
        for row in result['rows']:
            lines.append('| ' + ' | '.join(
                cell(v) for v in (
                    result['config'], result['nprocs'], row['round'],
                    row['stage'], row['seconds'], row['seconds_per_item'],
                    row['peak_rss_mb'], row['peak_cuda_mb'], row['files'],
                    row['mb_written'], row.get('full_items'),
                    row.get('full_hours'))) + ' |')
    return '\n'.join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a configs/conta/*_{voc,coco}.py')
    parser.add_argument('--data-root', required=True,
                        help='the dataset (or stand-in) in its real layout')
    parser.add_argument('--nprocs', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--images', type=int, default=8,
                        help='training-split images each stage keeps')
    parser.add_argument('--val-images', type=int, default=4)
    parser.add_argument('--iters', type=int, default=3,
                        help='iterations of iteration-based training')
    parser.add_argument('--work-dir', default='work_dirs/dry_run')
    parser.add_argument('--port', type=int, default=29511)
    parser.add_argument('--report-only', action='store_true',
                        help='tabulate finished runs without running')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    layout = 'coco' if 'coco' in osp.basename(args.config) else 'voc'
    stages = stage_configs(cfg)
    options = cut_options(stages, args.images, args.val_images, args.iters)
    print('--cfg-options', ' '.join(f'{k}={v}' for k, v in options.items()))
    name = osp.splitext(osp.basename(args.config))[0]
    results = []
    for nprocs in args.nprocs:
        work_dir = osp.join(args.work_dir, name, f'np{nprocs}')
        wall = None
        if not args.report_only:
            wall = round(run_loop(args, options, nprocs, work_dir), 1)
            print(f'{name}, {nprocs} process(es): {wall:.0f} s')
        full = full_schedule(stages, layout, nprocs)
        results.append(dict(
            config=name, nprocs=nprocs, wall_seconds=wall,
            options=options, rows=collect(work_dir, args.rounds, full)))
    out = osp.join(args.work_dir, name, 'results.json')
    with open(out, 'w') as f:
        json.dump(results, f, indent=2)
    print(table(results))
    print(f'written: {out}')


if __name__ == '__main__':
    main()
