"""tools/analysis_tools/plot_rounds.py on a real two-round run laid out as
conta_study.py lays out its arms: three figures, a table, one JSON line."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from round_loop import REPO, summary, train, write_config

SCRIPT = REPO / 'tools/analysis_tools/plot_rounds.py'
FIGURES = ('miou_per_round.png', 'leakage_per_class.png', 'cam_overlays.png')
ARMS = ('retrain', 'stage2')


@pytest.fixture(scope='module')
def study_runs(tmp_path_factory, shapes_root) -> Path:
    """``runs/confounded_d<d>/{round0,s0_<arm>}`` for two data seeds and two
    arms, all from one trained run; arms differ in their summaries only."""
    tmp = tmp_path_factory.mktemp('plot_rounds')
    cfg = write_config(tmp / 'conta.py', shapes_root, rounds=2)
    trained = tmp / 'trained'
    train(cfg, trained)
    rows = summary(trained)
    runs = tmp / 'runs'
    for data_seed in (0, 1):
        cell = runs / f'confounded_d{data_seed}'
        (cell / 'round0').mkdir(parents=True)
        os.symlink(trained / 'round_0', cell / 'round0/round_0')
        (cell / 'round0/summary.json').write_text(json.dumps(rows[:1]))
        for shift, arm in enumerate(ARMS):
            run = cell / f's0_{arm}'
            run.mkdir()
            # The study links the cell's round 0 into every arm.
            os.symlink(Path('..', 'round0', 'round_0'), run / 'round_0')
            os.symlink(trained / 'round_1', run / 'round_1')
            last = dict(rows[1], seed_miou=rows[1]['seed_miou'] + shift +
                        data_seed)
            if data_seed:  # a run stopped after the CAM stage
                last.update(seg_val_miou=None, seg_train_miou=None)
            (run / 'summary.json').write_text(json.dumps([rows[0], last]))
    return runs


def plot(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)],
                          capture_output=True, text=True, env=env,
                          timeout=300)


def test_writes_three_figures_a_table_and_a_json_line(study_runs, tmp_path):
    work_dirs = sorted(study_runs.glob('*/*'))  # round0 runs included
    result = plot(*work_dirs, '--out-dir', tmp_path / 'out', '--num-images',
                  2)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    files = json.loads(lines[-1])['files']
    assert files == [str(tmp_path / 'out' / name) for name in FIGURES]
    for path in files:
        with Image.open(path) as img:
            img.verify()
        with Image.open(path) as img:
            assert img.format == 'PNG'
            assert img.width > 100 and img.height > 100
    table = '\n'.join(lines[:-1])
    for arm in ARMS:
        # Two data seeds per arm; the round0 runs form no variant.
        assert f'| confounded/{arm} | 2 | 2 |' in table
    assert 'round0' not in table
    # Seg val mIoU of the last round: one of the two runs has it.
    assert '(n=1)' in table


def test_group_by_and_chosen_images(study_runs, tmp_path):
    img_id = sorted(p.stem for p in (
        study_runs / 'confounded_d0/s0_retrain/round_1/cam').glob('*.npz'))[-1]
    result = plot(*sorted(study_runs.glob('*/s0_*')), '--out-dir', tmp_path,
                  '--group-by', r'runs/(\w+)_d\d+/', '--images', img_id)
    assert result.returncode == 0, result.stderr[-3000:]
    assert '| confounded | 2 | 4 |' in result.stdout


def test_missing_summary_names_the_directory(study_runs, tmp_path):
    empty = tmp_path / 'not_a_run'
    empty.mkdir()
    result = plot(study_runs / 'confounded_d0/s0_retrain', empty, '--out-dir',
                  tmp_path / 'out')
    assert result.returncode != 0
    assert str(empty) in result.stderr
    assert not (tmp_path / 'out').exists()
