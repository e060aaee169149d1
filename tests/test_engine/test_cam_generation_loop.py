"""CAMGenerationLoop in a real Runner: values, resume, 1 vs 2 processes."""
import importlib.util
import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from PIL import Image

from mmconta.engine import group_batches, multi_scale_cams, prepare_cam_model
from mmconta.models.utils import cam_to_pseudo_mask
from tiny_data import make_folder_tree, write_image, write_mask

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
        # 2000 pixels: scale 1 runs in chunks of two 24x32 images, scale 2
        # one image at a time, scale 0.5 whole.
        test_cfg=dict(type='CAMGenerationLoop', batch_size=2,
                      output_stride=8, max_forward_pixels=2000,
                      pseudo_mask=dict(bg_thr=0.2)),
        test_evaluator=[dict(type='SeedMetric'),
                        dict(type='PseudoMaskMetric')],
        visualizer=dict(type='CAMVisualizer', name=uuid.uuid4().hex,
                        vis_backends=[dict(type='LocalVisBackend')]))


def index_name(index: int) -> str:
    return f'img_{index:03d}'


def read_cams(cam_dir: Path) -> dict:
    out = {}
    for path in sorted(cam_dir.glob('*.npz')):
        with np.load(path) as f:
            out[path.stem] = {k: f[k] for k in f.files}
    return out


@pytest.fixture(autouse=True)
def one_thread():
    # Tiny convolutions on 2 threads of a shared 2-core machine spend most
    # of their time waiting for each other; the subprocesses use 1 too.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp('tree')
    make_folder_tree(root, num_images=6)
    # One image of another size: batches by size are [0, 1], [2], [3, 4],
    # [5], so with 2 processes each runs a full and a single batch.
    mask = np.zeros((20, 28), np.uint8)
    mask[4:12, 6:18] = 2
    write_image(root / 'JPEGImages/img_002.png', np.random.default_rng(0),
                mask.shape)
    write_mask(root / 'SegmentationClass/img_002.png', mask)
    return root


def test_group_batches_keeps_dataset_order_within_each_size():
    sizes = [(2, 3), (2, 3), (4, 4), (2, 3), (4, 4), (2, 3), (2, 3)]
    assert group_batches(sizes, 2) == [[0, 1], [2, 4], [3, 5], [6]]
    assert group_batches(sizes, 1) == [[i] for i in range(7)]


def test_files_match_the_per_image_reference_and_resume(tree, tmp_path):
    runner = Runner.from_cfg(config(tree, tmp_path))
    metrics = runner.test()
    assert 0 <= metrics['seed/mIoU'] <= 100 and 'mask/mIoU' in metrics
    cams = read_cams(tmp_path / 'cam')
    assert len(cams) == 6
    assert len(list((tmp_path / 'pseudo').glob('*.png'))) == 6
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
        with Image.open(tmp_path / 'pseudo' / f'{index_name(index)}.png') \
                as png:
            assert png.mode == 'P'
            assert png.getpalette()[3:6] == dataset.metainfo['palette'][1]
            np.testing.assert_array_equal(
                np.asarray(png),
                cam_to_pseudo_mask(saved['high_res'], saved['keys'], 0.2))
    overlays = sorted(p.name for p in tmp_path.rglob('img_*_0.png'))
    assert overlays == [f'{index_name(i)}_0.png' for i in range(6)]

    # A kill: two files lost (in batches [0, 1] and [3, 4]), one of them
    # half-written under its temp name.
    for name in ('img_001', 'img_004'):
        (tmp_path / 'cam' / f'{name}.npz').unlink()
    (tmp_path / 'cam' / '.img_004.npz.k1ll3d.tmp').write_bytes(b'half')
    before = {n: os.path.getmtime(tmp_path / 'cam' / f'{n}.npz')
              for n in cams if n not in ('img_001', 'img_004')}
    rerun = Runner.from_cfg(config(tree, tmp_path))
    rerun.model.load_state_dict(runner.model.state_dict())
    rerun.test()
    assert rerun.test_loop.num_written == 2
    assert rerun.test_loop.num_kept == 4
    assert not list((tmp_path / 'cam').glob('.*'))
    for name, mtime in before.items():
        assert os.path.getmtime(tmp_path / 'cam' / f'{name}.npz') == mtime
    again = read_cams(tmp_path / 'cam')
    for name in cams:
        for key in ('keys', 'cam', 'high_res'):
            np.testing.assert_array_equal(again[name][key], cams[name][key])

    # A file from a run with another class list is refused, not reused.
    np.savez(tmp_path / 'cam/img_000.npz', **dict(
        cams['img_000'], classes=np.array(['background', 'a', 'b', 'c'])))
    with pytest.raises(ValueError, match='img_000.npz was made for classes'):
        Runner.from_cfg(config(tree, tmp_path)).test()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_two_processes_write_the_files_of_one(tree, tmp_path):
    cfg = config(tree, tmp_path / 'one')
    one = Runner.from_cfg(cfg)
    checkpoint = tmp_path / 'model.pth'
    torch.save(dict(state_dict=one.model.state_dict()), checkpoint)
    one_metrics = one.test()

    # The same config through tools/dist_test.sh, 2 gloo processes (in
    # tmp_path: mmengine's collect_results leaves a .dist_test folder).
    cfg.pop('work_dir')
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(''.join(f'{k} = {v!r}\n' for k, v in cfg.items()))
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT=str(free_port()),
               PATH=f'{Path(sys.executable).parent}:{os.environ["PATH"]}')
    two = subprocess.run([
        'bash', str(REPO / 'tools/dist_test.sh'), str(cfg_file),
        str(checkpoint), '2', '--work-dir', str(tmp_path / 'two')
    ], env=env, capture_output=True, text=True, cwd=tmp_path)
    # The launch's own output, should it fail (it did once in a full run).
    assert two.returncode == 0, two.stderr[-4000:]

    cams_one = read_cams(tmp_path / 'one/cam')
    cams_two = read_cams(tmp_path / 'two/cam')
    assert sorted(cams_one) == sorted(cams_two) and len(cams_one) == 6
    for name in cams_one:
        for key in ('keys', 'cam', 'high_res'):
            np.testing.assert_array_equal(cams_one[name][key],
                                          cams_two[name][key])
        mask = (tmp_path / 'one/pseudo' / f'{name}.png').read_bytes()
        assert mask == (tmp_path / 'two/pseudo' / f'{name}.png').read_bytes()
    # Every image evaluated once, whichever process ran it.
    two_metrics = json.loads((tmp_path / 'two/test_metrics.json').read_text())
    assert two_metrics == pytest.approx(one_metrics)
    # Rank 1's overlays are stored too (mmengine stores on rank 0 only).
    overlays = sorted(p.name for p in (tmp_path / 'two').rglob('img_*_0.png'))
    assert overlays == [f'{index_name(i)}_0.png' for i in range(6)]


def test_bfloat16_autocast_keeps_the_cams_close_and_float32():
    torch.manual_seed(0)
    model, _ = cam_speed.build_model(
        str(REPO / 'configs/cam/cam_r18-w16_1xb16-12e_shapes-96x96.py'))
    fast = prepare_cam_model(model.eval())
    inputs = torch.randn(2, 3, 48, 64)
    keys = [torch.tensor([0, 2]), torch.tensor([1])]
    with torch.inference_mode():
        fp32 = multi_scale_cams(fast, inputs, keys)
        bf16 = multi_scale_cams(fast, inputs, keys, autocast='bfloat16')
    for (cam, high), (cam16, high16) in zip(fp32, bf16):
        assert cam16.dtype == high16.dtype == torch.float32
        # Max-normalised to 1: bfloat16 keeps about 3 significant digits.
        assert (cam - cam16).abs().max() < 0.05
        assert (high - high16).abs().max() < 0.05
    with pytest.raises(ValueError, match='autocast must be one of'):
        multi_scale_cams(fast, inputs, keys, autocast='int8')
