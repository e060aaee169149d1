"""CAMGenerationLoop through a real Runner: values, resume, 1 vs 2 processes."""
import importlib.util
import os
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.runner import Runner

from tiny_data import make_folder_tree

REPO = Path(__file__).parents[2]
spec = importlib.util.spec_from_file_location(
    'cam_speed', REPO / 'tools/benchmark/cam_speed.py')
cam_speed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cam_speed)

MODEL = dict(
    type='CAMClassifier',
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[120.0] * 3, std=[60.0] * 3,
        bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8,
                  strides=(1, 2, 1, 1), out_indices=(3, )),
    head=dict(type='CAMHead', in_channels=64, num_classes=3))


def config(root: Path, work_dir: Path) -> dict:
    return dict(
        model=MODEL,
        work_dir=str(work_dir),
        default_scope='mmconta',
        experiment_name=f'cam_loop_{uuid.uuid4().hex}',
        randomness=dict(seed=0),
        test_dataloader=dict(
            batch_size=1, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(
                type='FolderWSSSDataset', data_root=str(root),
                img_suffix='.png',
                pipeline=[
                    dict(type='LoadImageFromFile'),
                    dict(type='LoadAnnotations'),
                    dict(type='PackWSSSInputs')
                ])),
        test_cfg=dict(type='CAMGenerationLoop', batch_size=2,
                      output_stride=8, pseudo_mask=dict(bg_thr=0.2)),
        test_evaluator=[dict(type='SeedMetric'),
                        dict(type='PseudoMaskMetric')],
        visualizer=dict(type='CAMVisualizer', name=uuid.uuid4().hex,
                        vis_backends=[dict(type='LocalVisBackend')]),
        custom_hooks=[dict(type='WeightsOnlyCheckpointHook')])


def read_cams(cam_dir: Path) -> dict:
    out = {}
    for path in sorted(cam_dir.glob('*.npz')):
        with np.load(path) as f:
            out[path.stem] = {k: f[k] for k in f.files}
    return out


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp('tree')
    make_folder_tree(root, num_images=6)
    return root


def test_files_match_the_per_image_reference_and_resume(tree, tmp_path):
    runner = Runner.from_cfg(config(tree, tmp_path))
    metrics = runner.test()
    assert 0 <= metrics['seed/mIoU'] <= 100 and 'mask/mIoU' in metrics
    cams = read_cams(tmp_path / 'cam')
    assert len(cams) == 6 and len(list((tmp_path / 'pseudo').glob('*.png'))) == 6
    dataset = runner.test_dataloader.dataset
    model = runner.model.eval()
    for index in range(len(dataset)):
        item = dataset[index]
        data = model.data_preprocessor(
            dict(inputs=[item['inputs']], data_samples=[item['data_samples']]))
        keys = torch.nonzero(item['data_samples'].gt_img_labels)[:, 0]
        with torch.no_grad():
            cam, high_res = cam_speed.reference_cams(
                model, data['inputs'][0], keys, output_stride=8)
        saved = cams[item['data_samples'].img_id]
        np.testing.assert_array_equal(saved['keys'], keys.numpy())
        np.testing.assert_allclose(saved['cam'], cam.numpy(), atol=1e-5)
        np.testing.assert_allclose(saved['high_res'], high_res.numpy(),
                                   atol=1e-5)
        assert tuple(saved['classes']) == dataset.metainfo['classes']
    assert len(list((tmp_path).rglob('*_0.png'))) >= 6  # overlays

    # Kill simulation: two files lost, a stale temp file left behind.
    for name in ('img_001', 'img_004'):
        (tmp_path / 'cam' / f'{name}.npz').unlink()
    (tmp_path / 'cam' / '.img_002.npz.tmp').write_bytes(b'half')
    before = {n: os.path.getmtime(tmp_path / 'cam' / f'{n}.npz')
              for n in cams if n not in ('img_001', 'img_004')}
    rerun = Runner.from_cfg(config(tree, tmp_path))
    rerun.model.load_state_dict(runner.model.state_dict())
    rerun.test()
    assert rerun.test_loop.num_written == 2
    assert not list((tmp_path / 'cam').glob('.*'))
    for name, mtime in before.items():
        assert os.path.getmtime(tmp_path / 'cam' / f'{name}.npz') == mtime
    again = read_cams(tmp_path / 'cam')
    for name in cams:
        for key in ('keys', 'cam', 'high_res'):
            np.testing.assert_array_equal(again[name][key], cams[name][key])


def test_two_processes_write_the_files_of_one(tree, tmp_path):
    runner = Runner.from_cfg(config(tree, tmp_path / 'init'))
    checkpoint = tmp_path / 'model.pth'
    torch.save(dict(state_dict=runner.model.state_dict()), checkpoint)
    cfg_file = tmp_path / 'cfg.py'
    cfg = config(tree, tmp_path)
    cfg.pop('work_dir')
    cfg_file.write_text(''.join(f'{k} = {v!r}\n' for k, v in cfg.items()))
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    test_py = str(REPO / 'tools/test.py')
    subprocess.run([sys.executable, test_py, str(cfg_file), str(checkpoint),
                    '--work-dir', str(tmp_path / 'one')], check=True,
                   env=env, capture_output=True)
    subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
        '2', '--master_port', '29533', test_py, str(cfg_file),
        str(checkpoint), '--launcher', 'pytorch', '--work-dir',
        str(tmp_path / 'two')
    ], check=True, env=env, capture_output=True)
    one, two = read_cams(tmp_path / 'one/cam'), read_cams(tmp_path / 'two/cam')
    assert sorted(one) == sorted(two) and len(one) == 6
    for name in one:
        for key in ('keys', 'cam', 'high_res'):
            np.testing.assert_array_equal(one[name][key], two[name][key])
    for name in one:
        a = (tmp_path / 'one/pseudo' / f'{name}.png').read_bytes()
        assert a == (tmp_path / 'two/pseudo' / f'{name}.png').read_bytes()
