"""tools/benchmark/train_speed.py: every mode trains the config's model
through its own preprocessor and loss, and the JSON is the last line."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]


@pytest.mark.parametrize('config', [
    'configs/cam/cam_r18-w16_1xb16-12e_shapes-96x96.py',
    'configs/seg/deeplab-aspp_r18-w16_1xb16-10e_shapes-96x96.py',
])
def test_every_mode_reports_images_per_second(config):
    proc = subprocess.run(
        [sys.executable, 'tools/benchmark/train_speed.py', '--config',
         config, '--batch-size', '2', '--iters', '1', '--warmup', '1',
         '--device', 'cpu'],
        cwd=REPO, capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result['size'] == 96 and result['batch_size'] == 2
    for mode in ('fp32', 'amp', 'amp_channels_last'):
        assert result[mode]['images_per_s'] > 0
    assert result['amp_over_fp32'] > 0
