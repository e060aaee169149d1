"""tools/benchmark/loop_overhead.py: its JSON last; a leaking bank shows."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmconta.engine.hooks import ConfounderBankHook

SCRIPT = Path(__file__).parents[2] / 'tools/benchmark/loop_overhead.py'
spec = importlib.util.spec_from_file_location('loop_overhead', SCRIPT)
loop_overhead = importlib.util.module_from_spec(spec)
spec.loader.exec_module(loop_overhead)

METAINFO = dict(classes=('background', 'a', 'b', 'c'))


def example(size=(16, 12)) -> SegDataSample:
    sample = SegDataSample()
    sample.pred_sem_seg = PixelData(data=torch.zeros(1, *size))
    return sample


def test_tiny_run_prints_every_figure(tmp_path):
    # Four images: one batch a step, and warmup + images for the bank.
    run = [
        sys.executable,
        str(SCRIPT), '--train-images', '4', '--iters', '1', '--warmup', '1',
        '--repeats', '1', '--images', '1', '--threads', '1'
    ]
    result = subprocess.run(run, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    # The JSON is the last stdout line: third-party packages may print
    # before it at import (onedl-mmsegmentation does).
    figures = json.loads(result.stdout.splitlines()[-1])
    assert {
        'runner_s', 'bare_s', 'runner_over_bare', 'infer_s', 'bank_s',
        'bank_over_infer', 'bank_peak_bytes_100', 'bank_peak_bytes_10000',
        'iters', 'images', 'threads'
    } <= figures.keys()
    assert figures['runner_s'] > 0 and figures['bare_s'] > 0
    assert figures['infer_s'] > 0 and figures['bank_s'] > 0
    # Both loops started from the same weights on the same first batch.
    assert len(figures['first_losses']) == 1
    assert figures['bank_peak_bytes_100'] == figures['bank_peak_bytes_10000']
    assert (figures['iters'], figures['images'], figures['threads']) == \
        (1, 1, 1)


def test_bad_argument_is_named():
    result = subprocess.run([sys.executable, str(SCRIPT), '--iters', '0'],
                            capture_output=True, text=True)
    assert result.returncode == 2 and '--iters' in result.stderr


def test_bank_peak_is_flat_and_sees_a_leak(monkeypatch):
    flat = [
        loop_overhead.bank_peak_bytes(n, example(), METAINFO, seed=0)
        for n in (5, 50)
    ]
    assert flat[0] == flat[1]
    # The bank's sums and counts (float64) are in the figure.
    assert flat[0] >= (3 * 32 * 32 + 3) * 8

    class LeakyBank(ConfounderBankHook):
        """Keeps every prediction, as a bank must not."""

        def _add(self, sample) -> None:
            self.kept = getattr(self, 'kept', []) + [sample.pred_sem_seg.data]
            super()._add(sample)

    monkeypatch.setattr(loop_overhead, 'ConfounderBankHook', LeakyBank)
    leaky = [
        loop_overhead.bank_peak_bytes(n, example(), METAINFO, seed=0)
        for n in (5, 50)
    ]
    # 45 more int64 masks of 16 x 12.
    assert leaky[1] - leaky[0] >= 45 * 16 * 12 * 8


def test_held_bytes_counts_a_shared_storage_once():
    tensor = torch.zeros(10, 10)
    alone = loop_overhead.held_bytes([tensor])
    with_view = loop_overhead.held_bytes([tensor, tensor[0]])
    assert alone >= tensor.nbytes
    assert with_view - alone == sys.getsizeof([0, 0]) - sys.getsizeof([0])
