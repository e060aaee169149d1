"""Does CONTA remove confounding? A grid of its arms against retraining.

Grid: {confounded, control} sets x arms x data seeds x training seeds, on a
conta config (default ``configs/conta/cam_shapes.py``):

* ``confounded``: the synthetic benchmark with class-specific context
  textures (``--confounding``) and co-occurring classes
  (``--cooccurrence``); ``control``: both at 0, same generator seed.
* arms: ``retrain`` (the retraining control, ``intervention='none'``:
  round 1 exactly as CONTA's, without M), ``classifier``, ``input`` or
  ``stage<k>`` (where M enters, ``conta.head.inject``),
  ``shuffled-<placement>`` (each image gets another image's x_m), ``cda``
  (CDA's pasted objects instead of M) and ``both`` (CDA and CONTA at the
  config's placement).
* Each (set, data seed) runs round 0 once, with training seed 0, in
  ``runs/<set>_d<d>/round0``; every arm's run ``runs/<set>_d<d>/s<s>_<arm>``
  links that round 0 and trains round 1 with seed ``s + 1`` (the round
  loop's ``seed + t``), so arms of one cell share round 0 and retraining
  seed, and differ only in the arm.
* Round 1 stops after ``--stop-after`` (default ``cam``: seeds, pseudo-masks,
  context and companion shares; ``refine`` for a method with refinement;
  ``seg`` adds the segmentor's val mIoU).

Runs go ``--jobs`` at a time, one thread each; a run whose summary has both
rounds is skipped, so a rerun continues the grid. ``--report-only`` reads
the finished runs and writes the tables: per (set, arm) the mean ± std of
round 1, and each arm's paired difference to ``retrain`` in the same cell
(data seed, training seed) with a 95 % t interval. The primary figure is
seed mIoU (= pseudo-mask mIoU of the CAM method); the analysis is fixed
before the runs.

Example::

    python tools/experiments/conta_study.py --work-dir work_dirs/conta_study \\
        --arms retrain classifier stage1 stage2 stage3 input \\
        --data-seeds 0 1 2 --train-seeds 0 --sets confounded
    python tools/experiments/conta_study.py --work-dir work_dirs/conta_study \\
        --report-only
"""
import argparse
import json
import os
import os.path as osp
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Tuple

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from common import (REPO, class_iou, finished, interval,  # noqa: E402
                    make_shapes, train_run)

# Round-1 figures reported, and where they come from: the summary row or
# the CAM stage's metrics.
FIGURES = {
    'seed_miou': ('summary', 'seed_miou'),
    'mask_miou': ('summary', 'mask_miou'),
    'context_share': ('summary', 'context_share'),
    'companion_share': ('cam', 'seed/companion_share'),
    'seg_val_miou': ('summary', 'seg_val_miou'),
}
CONTROL_ARM = 'retrain'


def arm_options(arm: str) -> List[str]:
    """``tools/train.py --cfg-options`` of an arm."""
    if arm == CONTROL_ARM:
        return ['intervention=none']
    if arm in ('cda', 'both'):
        return [f'intervention={arm}']
    if arm.startswith('shuffled-'):
        return [f'conta.head.inject={arm[len("shuffled-"):]}',
                'conta.control=shuffled']
    return [f'conta.head.inject={arm}']


def set_data(work_dir: str, name: str, seed: int, args) -> str:
    """The benchmark of one (set, data seed), generated once."""
    confounded = name == 'confounded'
    return make_shapes(
        work_dir, seed, args.confounding if confounded else 0.0,
        args.num_train, extra=[
            '--cooccurrence',
            str(args.cooccurrence if confounded else 0.0)
        ], name=f'{name}_d{seed}')


def run_round0(cell_dir: str, data_root: str, args) -> None:
    run_dir = osp.join(cell_dir, 'round0')
    if not finished(run_dir, 1):
        train_run(args.config, run_dir, data_root,
                  ['rounds=1', 'randomness.seed=0'], args.threads)


def run_arm(cell_dir: str, data_root: str, train_seed: int, arm: str,
            args) -> None:
    run_dir = osp.join(cell_dir, f's{train_seed}_{arm}')
    if finished(run_dir, 2):
        return
    os.makedirs(run_dir, exist_ok=True)
    link = osp.join(run_dir, 'round_0')
    if not osp.islink(link):
        os.symlink(osp.join('..', 'round0', 'round_0'), link)
    train_run(args.config, run_dir, data_root, [
        'rounds=2', f'randomness.seed={train_seed}',
        f'stop_after={args.stop_after}', *arm_options(arm)
    ], args.threads)


def run_grid(args) -> None:
    runs_dir = osp.join(args.work_dir, 'runs')
    cells = []
    for name in args.sets:
        for seed in args.data_seeds:
            cells.append((osp.join(runs_dir, f'{name}_d{seed}'),
                          set_data(args.work_dir, name, seed, args)))
    with ThreadPoolExecutor(args.jobs) as pool:
        # Round 0s are queued first, so an arm waiting for its own cell's
        # round 0 never blocks a worker that round 0 needs.
        round0 = {c: pool.submit(run_round0, c, d, args) for c, d in cells}

        def after_round0(cell: str, data_root: str, seed: int,
                         arm: str) -> None:
            round0[cell].result()
            run_arm(cell, data_root, seed, arm, args)

        jobs = [
            pool.submit(after_round0, c, d, s, arm)
            for s in args.train_seeds for arm in args.arms for c, d in cells
        ]
        for future in [*round0.values(), *jobs]:
            future.result()


# Report -------------------------------------------------------------------
def read_run(run_dir: str) -> Optional[Dict[str, Dict[str, float]]]:
    """Round 0 and round 1 figures of a finished arm run, else None."""
    if not finished(run_dir, 2):
        return None
    rows = json.load(open(osp.join(run_dir, 'summary.json')))
    out = {}
    for t in (0, 1):
        cam = json.load(open(osp.join(run_dir, f'round_{t}', 'cam',
                                      'DONE')))['metrics']
        out[t] = {
            figure: (rows[t] if source == 'summary' else cam).get(key)
            for figure, (source, key) in FIGURES.items()
        }
    return out


def collect(work_dir: str) -> Dict[Tuple[str, str], Dict[Tuple, dict]]:
    """(set, arm) -> (data seed, training seed) -> figures per round."""
    runs_dir = osp.join(work_dir, 'runs')
    table: Dict[Tuple[str, str], Dict[Tuple, dict]] = {}
    for cell in sorted(os.listdir(runs_dir)):
        if not osp.isdir(osp.join(runs_dir, cell)):
            continue
        name, data_seed = cell.rsplit('_d', 1)
        for run in sorted(os.listdir(osp.join(runs_dir, cell))):
            if run == 'round0' or run.endswith('.log'):
                continue
            train_seed, arm = run[1:].split('_', 1)
            figures = read_run(osp.join(runs_dir, cell, run))
            if figures is not None:
                table.setdefault((name, arm), {})[
                    (int(data_seed), int(train_seed))] = figures
    return table


def round0_table(work_dir: str) -> str:
    """Round 0 of every cell: seeds, segmentor, and its weakest class on
    the training split (whose masks are x_m and the confounders)."""
    lines = ['| set, data seed | seed mIoU | seg val mIoU | seg train mIoU | '
             'weakest class, train IoU |', '|---|---:|---:|---:|---|']
    runs_dir = osp.join(work_dir, 'runs')
    for cell in sorted(os.listdir(runs_dir)):
        run_dir = osp.join(runs_dir, cell, 'round0')
        if not finished(run_dir, 1):
            continue
        row = json.load(open(osp.join(run_dir, 'summary.json')))[0]
        ious = class_iou(osp.join(run_dir, 'round_0', 'seg_train'),
                         osp.join(work_dir, 'data', cell))
        weakest = min((v, c) for c, v in ious.items() if c != 'background')
        lines.append(f'| {cell} | {row["seed_miou"]:.2f} | '
                     f'{row["seg_val_miou"]:.2f} | {row["seg_train_miou"]:.2f}'
                     f' | {weakest[1]} {weakest[0]:.1f} |')
    return '\n'.join(lines)


def report(work_dir: str) -> dict:
    """Markdown tables and ``results.json`` of the finished runs."""
    table = collect(work_dir)
    figures = [f for f in FIGURES
               if any(r[1].get(f) is not None
                      for runs in table.values() for r in runs.values())]
    lines = ['| set | arm | runs | ' + ' | '.join(
        f'{f} r0 → r1' for f in figures) + ' |',
             '|---|---|---:|' + '---:|' * len(figures)]
    results = dict(figures=figures, arms={}, paired={})
    for (name, arm), runs in sorted(table.items()):
        cells = []
        for figure in figures:
            r0 = [r[0][figure] for r in runs.values()
                  if r[0][figure] is not None]
            r1 = [r[1][figure] for r in runs.values()
                  if r[1][figure] is not None]
            cells.append(
                f'{np.mean(r0):.2f} ± {np.std(r0, ddof=1) if len(r0) > 1 else 0:.2f}'
                f' → {np.mean(r1):.2f} ± '
                f'{np.std(r1, ddof=1) if len(r1) > 1 else 0:.2f}'
                if r1 else '-')
        lines.append(f'| {name} | {arm} | {len(runs)} | ' + ' | '.join(cells)
                     + ' |')
        results['arms'][f'{name}/{arm}'] = {
            f'{k[0]},{k[1]}': v for k, v in runs.items()}
    lines += ['', f'Paired difference to `{CONTROL_ARM}` in round 1 (same '
              'data seed and training seed), mean [95 % t interval] (n):', '',
              '| set | arm | ' + ' | '.join(figures) + ' |',
              '|---|---|' + '---:|' * len(figures)]
    for (name, arm), runs in sorted(table.items()):
        control = table.get((name, CONTROL_ARM), {})
        if arm == CONTROL_ARM or not control:
            continue
        cells, paired = [], {}
        for figure in figures:
            diffs = [runs[k][1][figure] - control[k][1][figure]
                     for k in sorted(set(runs) & set(control))
                     if runs[k][1][figure] is not None
                     and control[k][1][figure] is not None]
            if not diffs:
                cells.append('-')
                continue
            mean, low, high, n = interval(diffs)
            paired[figure] = dict(mean=mean, low=low, high=high, n=n,
                                  diffs=diffs)
            cells.append(f'{mean:+.2f} [{low:+.2f}, {high:+.2f}] ({n})')
        results['paired'][f'{name}/{arm}'] = paired
        lines.append(f'| {name} | {arm} | ' + ' | '.join(cells) + ' |')
    text = round0_table(work_dir) + '\n\n' + '\n'.join(lines)
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(text + '\n')
    print(text)
    return results


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--config', default=osp.join(REPO, 'configs/conta/cam_shapes.py'))
    parser.add_argument('--work-dir', default='work_dirs/conta_study')
    parser.add_argument('--sets', nargs='+', default=['confounded', 'control'],
                        choices=['confounded', 'control'])
    parser.add_argument('--arms', nargs='*',
                        default=['retrain', 'classifier', 'stage2', 'input'])
    parser.add_argument('--data-seeds', type=int, nargs='+',
                        default=[0, 1, 2])
    parser.add_argument('--train-seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--confounding', type=float, default=0.9)
    parser.add_argument('--cooccurrence', type=float, default=0.9)
    parser.add_argument('--num-train', type=int, default=300)
    parser.add_argument('--stop-after', default='cam')
    parser.add_argument('--jobs', type=int, default=2)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--report-only', action='store_true')
    args = parser.parse_args()
    args.work_dir = osp.abspath(args.work_dir)
    args.config = osp.abspath(args.config)
    return args


def main() -> None:
    args = parse_args()
    if not args.report_only:
        run_grid(args)
    report(args.work_dir)


if __name__ == '__main__':
    main()
