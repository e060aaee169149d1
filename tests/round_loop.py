"""Running the CONTA round loop in tests: tiny data, tiny configs, files."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from mmconta.datasets.synthetic import generate

REPO = Path(__file__).parents[1]
PYTHON = sys.executable
# One epoch per training stage, no worker processes: each stage takes
# seconds on the CPU.
SMALL = {
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'val_dataloader.num_workers': 0,
    'val_dataloader.persistent_workers': False,
    'test_dataloader.num_workers': 0,
    'test_dataloader.persistent_workers': False,
    'train_cfg.max_epochs': 1,
    'train_cfg.val_interval': 1,
}


def make_shapes(root: Path, num_train: int = 12, num_val: int = 4) -> Path:
    """The synthetic confounded benchmark, tiny."""
    generate(str(root), num_train=num_train, num_val=num_val, seed=0)
    return root


def write_config(path: Path, data_root: Path, rounds: int,
                 seg_epochs: int = 1, method: str = 'cam') -> Path:
    """A conta config on configs/conta/<method>_shapes.py, sized for tests;
    the refinement stages of ``seam`` and ``irn`` train one epoch too."""
    seg = dict(SMALL, **{'train_cfg.max_epochs': seg_epochs})
    text = (
        f'_base_ = [{str(REPO / f"configs/conta/{method}_shapes.py")!r}]\n'
        f'data_root = {str(data_root)!r}\n'
        f'rounds = {rounds}\n'
        f'cls = dict(cfg_options={dict(SMALL, **{"test_cfg.num_vis": 2})!r})\n'
        f'seg = dict(cfg_options={seg!r})\n')
    if method != 'cam':  # the refiner has no validation
        refine = {k: v for k, v in SMALL.items() if 'val' not in k}
        text += f'refine = dict(cfg_options={refine!r})\n'
    path.write_text(text)
    return path


def train(cfg: Path, work_dir: Path, background: bool = False):
    """tools/train.py on ``cfg``; in the background, the process."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    cmd = [PYTHON, str(REPO / 'tools/train.py'), str(cfg), '--work-dir',
           str(work_dir)]
    if background:
        return subprocess.Popen(cmd, env=env, cwd=REPO,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True)


def pngs(folder: Path) -> dict:
    """File name -> bytes of the PNGs in a folder."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob('*.png'))}


def bank(work: Path, t: int) -> dict:
    """Round t's confounder bank arrays."""
    with np.load(work / f'round_{t}/bank/confounder_bank.npz') as f:
        return {k: f[k] for k in f.files}


def done(work: Path, t: int, stage: str) -> dict:
    """A stage's DONE record."""
    return json.loads((work / f'round_{t}/{stage}/DONE').read_text())


def summary(work: Path) -> list:
    return json.loads((work / 'summary.json').read_text())
