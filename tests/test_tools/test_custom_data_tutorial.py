"""docs/user_guides/custom_data.md's worked example, command by command."""
import re
import shlex
import subprocess
import sys
from pathlib import Path

from round_loop import SMALL, summary

REPO = Path(__file__).parents[2]
GUIDE = REPO / 'docs/user_guides/custom_data.md'
MARKER = '<!-- tested: the bash blocks of this section run in order -->'


def tutorial_commands() -> list:
    """The bash commands of the worked example, continuation lines joined."""
    section = GUIDE.read_text().split(MARKER, 1)[1].split('\n## ', 1)[0]
    blocks = re.findall(r'```bash\n(.*?)```', section, re.S)
    return [shlex.split(line) for block in blocks
            for line in block.replace('\\\n', ' ').splitlines()
            if line.strip()]


def test_the_worked_example_runs_as_written(tmp_path):
    commands = tutorial_commands()
    assert [c[1] for c in commands] == [
        'tools/dataset_converters/multilabel_csv_to_labels.py'] * 3 + [
        'tools/train.py']
    for command in commands:
        assert command[0] == 'python'
        # The guide's data/ and work_dirs/ go to the test's folder.
        args = [str(tmp_path / a) if a.startswith(('data/', 'work_dirs/'))
                else a for a in command[2:]]
        if command[1] == 'tools/train.py':
            # One epoch a stage, two rounds: the commands, not the schedule,
            # are under test.
            args += ['--cfg-options', 'rounds=2'] + [
                f'{stage}.cfg_options.{key}={value}'
                for stage in ('cls', 'seg') for key, value in SMALL.items()]
        subprocess.run([sys.executable, str(REPO / command[1]), *args],
                       cwd=REPO, check=True, capture_output=True)
    work = tmp_path / 'work_dirs/my_data'
    rows = summary(work)
    assert [r['round'] for r in rows] == [0, 1]
    assert all(r['seed_miou'] is None and r['seg_val_miou'] is not None
               for r in rows)
    assert len(list((work / 'round_1/pseudo').glob('*.png'))) == 60
