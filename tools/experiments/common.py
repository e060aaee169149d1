"""What the experiment scripts share: subprocess runs, data, tables."""
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np

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
