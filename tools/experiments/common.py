"""What the experiment scripts share: subprocess runs, data, tables."""
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from scipy import stats

from mmconta.evaluation.functional import area_iou, intersect_and_union

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run(args: List[str]) -> None:
    """Run a repository script with this Python, quietly, or fail."""
    subprocess.run([sys.executable] + args, check=True, cwd=REPO,
                   stdout=subprocess.DEVNULL)


def make_shapes(work_dir: str, seed: int, confounding: float,
                num_train: int, num_val: int = 100,
                extra: Sequence[str] = (), name: Optional[str] = None) -> str:
    """The synthetic benchmark of one (seed, P), generated once.

    ``extra`` goes to the generator (e.g. ``['--cooccurrence', '0.9']``);
    ``name`` names the folder under ``<work_dir>/data``.
    """
    data_root = osp.join(work_dir, 'data',
                         name or f'conf{confounding:g}_seed{seed}')
    if not osp.isfile(osp.join(data_root, 'meta.json')):
        run([
            'tools/dataset_converters/make_confounded_shapes.py', data_root,
            '--num-train', str(num_train), '--num-val', str(num_val),
            '--seed', str(seed), '--confounding', str(confounding),
            '--overwrite', *extra
        ])
    return data_root


def mean_std_table(first: str, rows: Dict[str, List[dict]],
                   keys: Sequence[str]) -> str:
    """A Markdown table: one row per entry of ``rows``, mean ± std over its
    runs of each metric in ``keys``."""
    lines = [f'| {first} | ' + ' | '.join(keys) + ' |',
             '|---:|' + '---:|' * len(keys)]
    for name, runs in rows.items():
        cells = [
            f'{np.mean([r[k] for r in runs]):.2f} ± '
            f'{np.std([r[k] for r in runs]):.2f}' for k in keys
        ]
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def finished(run_dir: str, rounds: int) -> bool:
    """Whether a round-loop run's summary has ``rounds`` rows."""
    path = osp.join(run_dir, 'summary.json')
    return osp.isfile(path) and len(json.load(open(path))) >= rounds


def train_run(config: str, run_dir: str, data_root: str,
              options: List[str], threads: int = 1) -> None:
    """One round-loop run through tools/train.py on ``threads`` threads,
    its output appended to ``<run_dir>.log``."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    os.makedirs(run_dir, exist_ok=True)
    start = time.time()
    with open(run_dir + '.log', 'a') as log:
        subprocess.run(
            [sys.executable, 'tools/train.py', config, '--work-dir',
             run_dir, '--data-root', data_root, '--cfg-options', *options],
            check=True, cwd=REPO, env=env, stdout=log,
            stderr=subprocess.STDOUT)
    print(f'{time.strftime("%H:%M:%S")} finished {run_dir} in '
          f'{time.time() - start:.0f} s', flush=True)


def interval(values: Sequence[float]) -> Tuple[float, float, float, int]:
    """Mean, and the 95 % t interval of the mean, of paired differences."""
    values = np.asarray(values, float)
    n = len(values)
    mean = float(values.mean())
    if n < 2:
        return mean, float('nan'), float('nan'), n
    half = float(stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def class_iou(pred_dir: str, data_root: str) -> Dict[str, float]:
    """Per-class IoU (%) of a folder of predicted masks on the training
    split's ground truth."""
    classes = open(osp.join(data_root, 'class_names.txt')).read().split()
    areas = np.zeros((3, len(classes)), np.int64)
    for name in sorted(os.listdir(pred_dir)):
        if not name.endswith('.png'):
            continue
        pred = np.asarray(Image.open(osp.join(pred_dir, name)))
        label = np.asarray(Image.open(
            osp.join(data_root, 'SegmentationClass', name)))
        inter, _, area_pred, area_label = intersect_and_union(
            pred, label, len(classes))
        areas += np.stack([inter.numpy(), area_pred.numpy(),
                           area_label.numpy()])
    return {c: float(v * 100) for c, v in zip(classes, area_iou(areas))}
