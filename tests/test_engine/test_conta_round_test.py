"""ContaRoundRunner.test and tools/test.py on a round loop: a finished tiny
loop evaluated again from its files and checkpoints gives its DONE metrics
and leaves its files alone; what is not finished is refused by name."""
import json
import subprocess

import pytest
from mmengine.config import Config
from round_loop import PYTHON, REPO, done, train, write_config

from mmconta.engine import ContaRoundRunner

# CAM: round 1 is CONTA's (no classifier validation, the adjusted head at
# the CAM stage); IRN: the refinement stages.
ROUNDS = {'cam': 2, 'irn': 1}


@pytest.fixture(scope='module', params=sorted(ROUNDS))
def finished(request, tmp_path_factory, shapes_root):
    method = request.param
    tmp = tmp_path_factory.mktemp(f'tested_{method}')
    cfg = write_config(tmp / 'conta.py', shapes_root, ROUNDS[method],
                       method=method)
    train(cfg, tmp / 'work')
    return method, cfg, tmp / 'work'


def build(cfg_path, work_dir) -> ContaRoundRunner:
    cfg = Config.fromfile(cfg_path)
    cfg.work_dir = str(work_dir)
    return ContaRoundRunner.from_cfg(cfg)


def loop_files(work) -> dict:
    """Path -> (size, mtime) of the loop's files, but test's own outputs."""
    return {
        str(p.relative_to(work)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in work.rglob('*')
        if p.is_file() and p.name not in ('conta.log', 'test_metrics.json')
        and p.relative_to(work).parts[1:2] != ('test', )
    }


def test_a_finished_round_gives_its_done_metrics(finished):
    method, cfg, work = finished
    last = ROUNDS[method] - 1
    before = loop_files(work)
    runner = build(cfg, work)

    metrics = runner.test()  # the last finished round

    stages = runner.stages_of_round(last)
    assert list(metrics) == list(stages)
    for stage in stages:
        assert metrics[stage] == pytest.approx(
            done(work, last, stage)['metrics'], abs=1e-4), stage
    assert metrics['cam']['seed/mIoU'] > 0
    assert metrics['seg']['mIoU'] > 0
    if method == 'irn':
        assert metrics['refine']['mask/mIoU'] > 0
    else:
        assert metrics['cls'] == {}  # round 1's classifier has no val
    assert json.loads(
        (work / f'round_{last}/test_metrics.json').read_text()) == metrics
    assert loop_files(work) == before


def test_tools_test_evaluates_a_round_without_checkpoint(finished):
    method, cfg, work = finished
    if method != 'cam':
        pytest.skip('the command line is the same for every method')
    before = loop_files(work)
    proc = subprocess.run([
        PYTHON, str(REPO / 'tools/test.py'), str(cfg), '--work-dir',
        str(work), '--round', '0'
    ], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '| stage | metric | test | DONE |' in proc.stdout + proc.stderr
    metrics = json.loads((work / 'round_0/test_metrics.json').read_text())
    assert metrics['cls'] == pytest.approx(done(work, 0, 'cls')['metrics'])
    assert metrics['seg'] == pytest.approx(done(work, 0, 'seg')['metrics'])
    assert not (work / 'test_metrics.json').exists()
    assert loop_files(work) == before


@pytest.fixture
def partial_loop(tmp_path):
    """A CAM loop config and a work dir to put DONE files in (no stage is
    built, so no data)."""
    cfg = write_config(tmp_path / 'conta.py', tmp_path / 'data', rounds=2)
    return cfg, tmp_path / 'work'


def finish(work, t, stages) -> None:
    for stage in stages:
        (work / f'round_{t}' / stage).mkdir(parents=True)
        (work / f'round_{t}' / stage / 'DONE').write_text('{}')


def test_unfinished_rounds_are_refused(partial_loop):
    cfg, work = partial_loop
    runner = build(cfg, work)
    with pytest.raises(FileNotFoundError, match='holds no round loop'):
        runner.test()

    finish(work, 0, ['cls', 'cam', 'seg'])
    with pytest.raises(
            FileNotFoundError,
            match=r"no finished round: round 0 is not finished: stages "
            r"\['seg_train'\] have no DONE"):
        runner.round_to_test()
    with pytest.raises(FileNotFoundError, match='round 1 has not started'):
        runner.round_to_test(1)

    finish(work, 0, ['seg_train'])
    finish(work, 1, ['cls'])
    assert runner.round_to_test() == 0
    # Refused before any stage is built.
    with pytest.raises(
            FileNotFoundError,
            match=r"round 1 is not finished: stages \['cam', 'seg', "
            r"'seg_train'\]"):
        runner.test(1)
    for bad in (2, -1):
        with pytest.raises(ValueError, match=f'round {bad} is out of range'):
            runner.round_to_test(bad)
    assert not (work / 'round_0/test_metrics.json').exists()


@pytest.mark.parametrize('args, message', [
    (['configs/cam/cam_r18-w16_1xb16-12e_shapes-96x96.py'],
     'CHECKPOINT is required'),
    (['CONTA', 'x.pth'], 'drop CHECKPOINT'),
    (['CONTA', '--round', '1'], 'round 1 is not finished'),
])
def test_tools_test_refuses_with_the_reason(partial_loop, args, message):
    cfg, work = partial_loop
    finish(work, 0, ['cls', 'cam', 'seg', 'seg_train'])
    finish(work, 1, ['cls'])
    args = [str(cfg) if a == 'CONTA' else a for a in args]
    proc = subprocess.run(
        [PYTHON, str(REPO / 'tools/test.py'), *args, '--work-dir',
         str(work)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert message in proc.stderr
