"""OpenMMLab's ``mim train mmconta CONFIG`` runs a stage config: mim finds
mmconta's tools/train.py (mmconta/.mim/tools in a wheel, the repository's
tools/ in an editable install, which onedl-mim finds from direct_url.json;
openmim 0.3.9 looks in site-packages only, so it needs a wheel install)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mmconta.datasets.synthetic import generate

REPO = Path(__file__).parents[2]
CAM_SHAPES = REPO / 'configs/cam/cam_r18-w16_1xb16-12e_shapes-96x96.py'
# The mim of the interpreter's environment, not one found first on PATH.
MIM = shutil.which('mim', path=str(Path(sys.executable).parent))


@pytest.mark.skipif(
    MIM is None,
    reason='mim is not installed beside this Python (MMCONTA_MIM=1 bash '
    'tools/setup_env.sh installs onedl-mim or openmim)')
def test_mim_train_runs_a_stage_config(tmp_path):
    # Where mim looks, asked as mim asks it (outside the repository, whose
    # mmconta.egg-info would answer in-process).
    where = ('from mim.utils import get_installed_path; '
             "print(get_installed_path('mmconta'))")
    out = subprocess.run([sys.executable, '-c', where],
                         capture_output=True,
                         text=True,
                         cwd=tmp_path,
                         check=True).stdout
    root = Path(out.strip().splitlines()[-1])
    if not any((root / script).is_file()
               for script in ('.mim/tools/train.py', 'tools/train.py')):
        pytest.skip(f'this mim looks for tools/train.py under {root}, which '
                    'an editable install does not fill: openmim 0.3.9 does '
                    'not follow `pip install -e` (onedl-mim does); a wheel '
                    'install works with both')
    data = tmp_path / 'data'
    generate(str(data), num_train=8, num_val=4)
    work = tmp_path / 'work'
    options = {
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
        'train_dataloader.num_workers': 0,
        'val_dataloader.num_workers': 0,
        'val_dataloader.persistent_workers': False,
        'test_dataloader.num_workers': 0,
    }
    # The full path: by a bare name mim searches the package root, where
    # dumped copies of the config (work dirs) may also lie.
    cmd = [
        MIM, 'train', 'mmconta',
        str(CAM_SHAPES), '--work-dir',
        str(work), '--data-root',
        str(data), '--cfg-options', *(f'{k}={v}' for k, v in options.items())
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    assert 'Training finished successfully' in result.stdout
    assert (work / 'epoch_1.pth').is_file()
