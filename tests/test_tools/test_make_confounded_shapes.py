"""The synthetic confounded benchmark: deterministic, confounded as asked."""
import filecmp
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmconta.registry import DATASETS

SCRIPT = Path(__file__).parents[2] / 'tools/dataset_converters/' \
    'make_confounded_shapes.py'
spec = importlib.util.spec_from_file_location('make_confounded_shapes', SCRIPT)
shapes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(shapes)


def same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob('*') if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob('*') if p.is_file())
    return files_a == files_b and all(
        filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


def test_same_seed_same_bytes_other_seed_other_images(tmp_path):
    for name, seed in (('a', 3), ('b', 3), ('c', 4)):
        shapes.generate(str(tmp_path / name), 12, 4, seed, 0.9)
    assert same_tree(tmp_path / 'a', tmp_path / 'b')
    assert not filecmp.cmp(tmp_path / 'a/JPEGImages/train_000000.png',
                           tmp_path / 'c/JPEGImages/train_000000.png',
                           shallow=False)


@pytest.mark.parametrize('confounding', [0.9, 0.5, 0.0])
def test_measured_cooccurrence_matches_the_asked_rate(tmp_path, confounding):
    meta = shapes.generate(str(tmp_path), 300, 10, 0, confounding)
    measured = shapes.measure_cooccurrence(str(tmp_path), 'train')
    assert measured == meta['measured']['train']
    assert abs(measured['p_context_given_class'] - confounding) <= 0.05
    for stats in measured['per_class'].values():
        assert stats['images'] > 0
        # A class's own context never appears without it: pure confounding.
        assert stats['p_context_given_absent'] == 0


def test_layout_loads_through_the_folder_dataset(tmp_path):
    shapes.generate(str(tmp_path), 8, 4, 0, 0.9, size=96)
    init_default_scope('mmconta')
    dataset = DATASETS.build(
        dict(type='FolderWSSSDataset', data_root=str(tmp_path),
             ann_file='ImageSets/Segmentation/val.txt', img_suffix='.png',
             data_prefix=dict(img_path='JPEGImages',
                              seg_map_path='SegmentationClass',
                              context_path='ContextMaps'),
             pipeline=[
                 dict(type='LoadImageFromFile'),
                 dict(type='LoadAnnotations'),
                 dict(type='LoadContextMap'),
                 dict(type='PackWSSSInputs')
             ]))
    assert dataset.metainfo['classes'] == ('background', ) + shapes.CLASS_NAMES
    assert len(dataset) == 4
    sample = dataset[0]
    assert sample['inputs'].shape == (3, 96, 96)
    mask = sample['data_samples'].gt_sem_seg.data[0].numpy()
    context = sample['data_samples'].gt_context.data[0].numpy()
    labels = sample['data_samples'].gt_img_labels.numpy()
    assert labels.sum() >= 1
    np.testing.assert_array_equal(np.flatnonzero(labels) + 1,
                                  np.unique(mask)[1:])
    assert not np.any((context > 0) & (mask > 0))  # context lies outside


def test_cli_refuses_a_foreign_folder_and_checks_arguments(tmp_path):
    (tmp_path / 'precious.txt').write_text('keep me')
    run = [sys.executable, str(SCRIPT), str(tmp_path), '--num-train', '2',
           '--num-val', '1']
    result = subprocess.run(run, capture_output=True, text=True)
    assert result.returncode != 0 and '--overwrite' in result.stderr
    assert (tmp_path / 'precious.txt').exists()
    result = subprocess.run(run[:3] + ['--confounding', '1.5'],
                            capture_output=True, text=True)
    assert result.returncode == 2 and '--confounding' in result.stderr
