"""Does CONTA's adjustment help? Its rounds on confounded sets and controls.

For each generator seed and each ``--confounding`` value, this generates the
synthetic benchmark and runs the whole round loop of a conta config
(``--config``, default ``configs/conta/cam_shapes.py``; round 0 = the
baseline, later rounds with the context adjustment), then prints, per
(P, round), the mean ± std over seeds of the summary's columns and writes
``results.json``.
A finished run is not rerun (the loop skips its finished stages).

Example::

    python tools/experiments/conta_rounds.py --seeds 0 1 2 --confounding 0.9 0
    python tools/experiments/conta_rounds.py --config configs/conta/irn_shapes.py \
        --work-dir work_dirs/irn_rounds --confounding 0.9
"""
import argparse
import json
import os.path as osp
import sys
from typing import List

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from common import REPO, make_shapes, mean_std_table, run  # noqa: E402

# The summary columns that are not mIoU-like figures.
NOT_SHOWN = ('round', 'seed_best_thr')


def one_run(config: str, work_dir: str, seed: int, confounding: float,
            num_train: int, options: List[str]) -> List[dict]:
    name = f'conf{confounding:g}_seed{seed}'
    data_root = make_shapes(work_dir, seed, confounding, num_train)
    run_dir = osp.join(work_dir, name)
    run(['tools/train.py', config, '--work-dir', run_dir, '--data-root',
         data_root, '--cfg-options', f'randomness.seed={seed}', *options])
    rows = json.load(open(osp.join(run_dir, 'summary.json')))
    for row in rows:
        print(f'{name} round {row["round"]}: ' + ', '.join(
            f'{k} {v:.2f}' for k, v in row.items() if k not in NOT_SHOWN),
              flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--config', default=osp.join(REPO, 'configs/conta/cam_shapes.py'))
    parser.add_argument('--work-dir', default='work_dirs/conta_rounds')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--confounding', type=float, nargs='+', default=[0.9, 0.0])
    parser.add_argument('--num-train', type=int, default=300)
    parser.add_argument(
        '--cfg-options', nargs='*', default=[],
        help='passed on to tools/train.py, e.g. rounds=2')
    args = parser.parse_args()
    runs = {
        p: [
            one_run(args.config, args.work_dir, s, p, args.num_train,
                    args.cfg_options) for s in args.seeds
        ]
        for p in args.confounding
    }
    table = {}
    for p, per_seed in runs.items():
        for t in range(min(len(rows) for rows in per_seed)):
            table[f'P={p:g} round {t}'] = [rows[t] for rows in per_seed]
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump({str(p): r for p, r in runs.items()}, f, indent=2)
    print(f'\n{len(args.seeds)} seeds {args.seeds}, mean ± std\n')
    first = next(iter(table.values()))[0]
    columns = [k for k in first if k not in NOT_SHOWN]
    print(mean_std_table('set, round', table, columns))


if __name__ == '__main__':
    main()
