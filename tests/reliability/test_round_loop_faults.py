"""SIGKILL the round loop inside a stage, rerun the same command: the loop
finishes without redoing finished stages or files, and ends with what an
uninterrupted run ends with (summary, pseudo-masks, confounder banks)."""
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from round_loop import bank, done, pngs, summary, train, write_config

from mmconta.engine.runners.conta_round_runner import REFINE_STAGES, STAGES

ROUNDS = 2
# Two epochs of segmentation, so a kill can land after its first checkpoint.
SEG_EPOCHS = 2


@pytest.fixture(scope='module')
def reference(tmp_path_factory, shapes_root):
    """The uninterrupted run."""
    tmp = tmp_path_factory.mktemp('reference')
    cfg = write_config(tmp / 'conta.py', shapes_root, ROUNDS, SEG_EPOCHS)
    train(cfg, tmp / 'work')
    return tmp / 'work'


def some_file(pattern: str):
    """Kill once a file matching ``pattern`` (under the work dir) exists."""
    return lambda work: any(work.glob(pattern))


# Where to kill: (round, stage, when). The stage has not finished then.
KILL_POINTS = {
    # Some CAM files of round 1 are written.
    'cam_generation': (1, 'cam', some_file('round_1/cam/*.npz')),
    # Round 0's segmentor has a complete first-epoch checkpoint (mmengine
    # writes last_checkpoint after the checkpoint itself).
    'segmentation_training': (0, 'seg',
                              some_file('round_0/seg/last_checkpoint')),
    # Round 0's segmentor has predicted some training images; the bank is
    # written after the last of them.
    'bank_building': (0, 'seg_train', some_file('round_0/seg_train/*.png')),
}


# The folders a stage writes file by file.
OUTPUTS = {'cam': ('cam', 'pseudo'), 'seg': (), 'seg_train': ('seg_train', )}


def kill_when(cfg: Path, work: Path, ready) -> None:
    process = train(cfg, work, background=True)
    deadline = time.time() + 600
    while not ready(work):
        assert process.poll() is None, 'the loop ended before the kill point'
        assert time.time() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()


def assert_same_results(work: Path, reference: Path) -> None:
    assert summary(work) == summary(reference)
    for t in range(ROUNDS):
        assert pngs(work / f'round_{t}/pseudo') == pngs(
            reference / f'round_{t}/pseudo')
        assert pngs(work / f'round_{t}/seg_train') == pngs(
            reference / f'round_{t}/seg_train')
        ours, theirs = bank(work, t), bank(reference, t)
        assert ours.keys() == theirs.keys()
        for key in ours:
            np.testing.assert_array_equal(ours[key], theirs[key])


@pytest.mark.parametrize('point', sorted(KILL_POINTS))
def test_killed_stage_resumes_and_ends_as_uninterrupted(
        point, reference, shapes_root, tmp_path):
    t_kill, stage_kill, ready = KILL_POINTS[point]
    cfg = write_config(tmp_path / 'conta.py', shapes_root, ROUNDS, SEG_EPOCHS)
    work = tmp_path / 'work'
    kill_when(cfg, work, ready)
    assert not (work / f'round_{t_kill}/{stage_kill}/DONE').exists(), \
        'the stage finished before the kill: nothing was tested'
    finished = {p: p.stat().st_mtime_ns for p in work.rglob('DONE')}
    # What a kill during a write leaves: temp files, never final names.
    for folder in OUTPUTS[stage_kill]:
        out_dir = work / f'round_{t_kill}/{folder}'
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / '.half.png.x1y2.tmp').write_bytes(b'\x89PNG')

    train(cfg, work)

    # Stages finished before the kill were not rerun.
    assert {p: p.stat().st_mtime_ns for p in finished} == finished
    record = done(work, t_kill, stage_kill)
    if stage_kill == 'seg':
        assert record['resumed_from'] is not None
    else:
        # Files finished before the kill were kept, the rest written once.
        assert record['kept'] > 0
        assert record['kept'] + record['written'] == 12
    for t in range(ROUNDS):
        for stage in set(STAGES) - set(REFINE_STAGES):
            assert (work / f'round_{t}/{stage}/DONE').is_file()
    for folder in OUTPUTS[stage_kill]:
        assert not list((work / f'round_{t_kill}/{folder}').glob('.*.tmp'))
    assert_same_results(work, reference)
