"""The synthetic confounded benchmark: deterministic, confounded as asked."""
import filecmp
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

from mmconta.datasets.synthetic import confounded_shapes as shapes
from mmconta.registry import DATASETS

SCRIPT = Path(__file__).parents[2] / 'tools/dataset_converters/' \
    'make_confounded_shapes.py'


def same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob('*') if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob('*') if p.is_file())
    return files_a == files_b and all(
        filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


def pixel_digest(root: Path) -> str:
    """SHA-256 of every PNG's name, mode and pixels (not its zlib bytes,
    which may change with the Pillow or zlib version)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob('*.png')):
        image = Image.open(path)
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(image.mode.encode())
        digest.update(np.asarray(image).tobytes())
    return digest.hexdigest()


def test_default_arguments_draw_what_they_always_drew(tmp_path):
    # Recorded before --cooccurrence existed: published tables depend on
    # these images.
    shapes.generate(str(tmp_path), 6, 2, 0, 0.9)
    assert pixel_digest(tmp_path) == (
        '84eca84854e86e06d3286efa0be38359e7d70fcbc5413fed56d7c904893a2faf')


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
    measured = shapes.measure_split(str(tmp_path), 'train', hard=False)
    assert measured == meta['measured']['train']
    assert abs(measured['p_context_given_class'] - confounding) <= 0.05
    for stats in measured['per_class'].values():
        assert stats['images'] > 0
        # A class's own context never appears without it: pure confounding.
        assert stats['p_context_given_absent'] == 0


def folder_dataset(root, split: str, img_suffix: str):
    """The generated folder as FolderWSSSDataset reads it, context maps
    included."""
    init_default_scope('mmconta')
    return DATASETS.build(
        dict(type='FolderWSSSDataset', data_root=str(root),
             ann_file=f'ImageSets/Segmentation/{split}.txt',
             img_suffix=img_suffix,
             data_prefix=dict(img_path='JPEGImages',
                              seg_map_path='SegmentationClass',
                              context_path='ContextMaps'),
             pipeline=[
                 dict(type='LoadImageFromFile'),
                 dict(type='LoadAnnotations'),
                 dict(type='LoadContextMap'),
                 dict(type='PackWSSSInputs')
             ]))


def test_layout_loads_through_the_folder_dataset(tmp_path):
    shapes.generate(str(tmp_path), 8, 4, 0, 0.9, size=96)
    dataset = folder_dataset(tmp_path, 'val', '.png')
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


def test_cli_refuses_a_foreign_folder_and_checks_arguments(tmp_path, capsys):
    (tmp_path / 'precious.txt').write_text('keep me')
    # The command itself once (importing mmconta takes seconds), then its
    # main() in this process.
    result = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode != 0 and '--overwrite' in result.stderr
    assert (tmp_path / 'precious.txt').exists()
    for option, value in (('--confounding', '1.5'),
                          ('--cooccurrence', '-0.1'),
                          ('--difficulty', 'medium'), ('--workers', '-1')):
        with pytest.raises(SystemExit) as exit_info:
            shapes.main([str(tmp_path / 'out'), option, value])
        assert exit_info.value.code == 2
        assert option in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()


def test_cli_and_generate_share_defaults_and_files(tmp_path, capsys):
    args = shapes.parse_args([str(tmp_path)])
    assert vars(args) == dict(
        out=str(tmp_path), num_train=300, num_val=100, seed=0,
        confounding=0.9, cooccurrence=0.0, difficulty='easy', size=112,
        workers=0, overwrite=False)
    shapes.main([str(tmp_path / 'cli'), '--num-train', '3', '--num-val', '1',
                 '--difficulty', 'hard'])
    assert capsys.readouterr().out.startswith(f'wrote {tmp_path / "cli"} ')
    shapes.generate(str(tmp_path / 'py'), 3, 1, difficulty='hard')
    assert same_tree(tmp_path / 'cli', tmp_path / 'py')
    meta = json.loads((tmp_path / 'py/meta.json').read_text())
    # Folders written before the generator moved into mmconta stay its own.
    assert meta['generator'] == \
        'tools/dataset_converters/make_confounded_shapes.py'


NUM_COUPLED = 600


@pytest.fixture(scope='module')
def coupled_sets(tmp_path_factory):
    """The same seed at --cooccurrence 0 and 0.9.

    600 training images: a companion's rate (1/4) is then measured to
    +-0.018 (one standard deviation), and the two sets differ in 90% of
    their images.
    """
    sets = {}
    for cooccurrence in (0.0, 0.9):
        root = tmp_path_factory.mktemp(f'cooccurrence_{cooccurrence}')
        meta = shapes.generate(
            str(root), NUM_COUPLED, 1, 0, 0.9, cooccurrence=cooccurrence)
        sets[cooccurrence] = (root, meta)
    return sets


def test_companion_rates(coupled_sets):
    control = coupled_sets[0.0][1]['measured']['train']['companions']
    coupled = coupled_sets[0.9][1]['measured']['train']['companions']
    assert set(control) == set(coupled) == set(shapes.COMPANIONS)
    for primary, companion in shapes.COMPANIONS.items():
        at_0, at_9 = control[primary], coupled[primary]
        assert at_0['companion'] == at_9['companion'] == companion
        # The companion's frequency does not depend on the coupling.
        assert abs(at_9['p_companion'] - at_0['p_companion']) <= 0.06
        assert at_9['p_companion_given_primary'] >= 0.8
        # Companions still appear without their primary.
        assert at_9['with_companion'] > at_9['with_both']
        # Uncoupled, a companion joins its primary only as any class joins
        # another (2 of 15 images holding the primary) and never touches.
        assert abs(at_0['p_companion_given_primary'] - 2 / 15) <= 0.1
        assert at_0['touching'] == 0


def test_coupled_companions_touch_and_the_rest_is_unchanged(coupled_sets):
    (control, _), (root, meta) = coupled_sets[0.0], coupled_sets[0.9]
    coupled_with_primary = touching = 0
    for index in range(NUM_COUPLED):
        name = f'train_{index:06d}.png'
        coupled = np.random.default_rng(
            [0, 0, index, shapes.COUPLING_STREAM]).random() < 0.9
        if not coupled:  # the coupling draw does not shift the others
            assert filecmp.cmp(control / 'JPEGImages' / name,
                               root / 'JPEGImages' / name, shallow=False)
            continue
        mask = np.asarray(Image.open(root / 'SegmentationClass' / name))
        for primary, companion in shapes.COMPANION_IDS.items():
            if primary + 1 in mask:
                coupled_with_primary += 1
                touching += shapes.touches(mask, companion + 1, primary + 1)
    assert coupled_with_primary >= NUM_COUPLED / 5
    assert touching >= 0.9 * coupled_with_primary
    assert meta['companions'] == shapes.COMPANIONS


def test_coupled_units_keep_every_class_rate():
    # One unit per coupled image: each class in 1/4 of the images, as an
    # uncoupled image holds 1.5 of 6 classes.
    units = shapes.COUPLED_UNITS
    assert sorted(k for unit in units for k in unit) == list(
        range(len(shapes.CLASS_NAMES)))
    assert 1 / len(units) == 1.5 / len(shapes.CLASS_NAMES)


def test_cooccurrence_is_deterministic(tmp_path):
    for name in ('a', 'b'):
        shapes.generate(str(tmp_path / name), 12, 2, 5, 0.9,
                        cooccurrence=0.9)
    assert same_tree(tmp_path / 'a', tmp_path / 'b')


@pytest.fixture(scope='module')
def hard_set(tmp_path_factory):
    """A hard-mode set, confounded and coupled."""
    root = tmp_path_factory.mktemp('hard')
    meta = shapes.generate(
        str(root), 80, 4, 0, 0.9, cooccurrence=0.9, difficulty='hard')
    return root, meta


def test_hard_mode_is_deterministic(tmp_path):
    for name in ('a', 'b'):
        shapes.generate(str(tmp_path / name), 10, 2, 7, 0.9,
                        cooccurrence=0.5, difficulty='hard')
    assert same_tree(tmp_path / 'a', tmp_path / 'b')


def test_hard_mode_writes_jpeg_small_objects_and_an_ignore_band(hard_set):
    root, meta = hard_set
    assert meta['img_suffix'] == '.jpg' and meta['ignore_index'] == 255
    assert sorted(p.suffix for p in (root / 'JPEGImages').iterdir()) == \
        ['.jpg'] * 84
    with Image.open(root / 'JPEGImages/train_000000.jpg') as image:
        assert image.format == 'JPEG' and image.mode == 'RGB'
    for split in shapes.SPLITS:
        measured = meta['measured'][split]
        assert measured['foreground_fraction'] < 0.2
        assert measured['ignore_fraction'] > 0
        assert measured == shapes.measure_split(str(root), split, hard=True)
    masks_with_band = 0
    for path in sorted((root / 'SegmentationClass').iterdir()):
        mask = np.asarray(Image.open(path))
        masks_with_band += bool((mask == 255).any())
        # The band separates every two labels: labelled neighbours agree.
        for a, b in ((mask[1:], mask[:-1]), (mask[:, 1:], mask[:, :-1])):
            labelled = (a != 255) & (b != 255)
            assert np.array_equal(a[labelled], b[labelled])
    assert masks_with_band == 84


def test_hard_mode_keeps_confounding_and_cooccurrence(hard_set):
    measured = hard_set[1]['measured']['train']
    # Occlusion and the border hide some bands, never add foreign ones.
    assert measured['p_context_given_class'] >= 0.7
    assert all(stats['p_context_given_absent'] == 0
               for stats in measured['per_class'].values())
    for stats in measured['companions'].values():
        assert stats['p_companion_given_primary'] >= 0.8
        assert stats['touching_share'] >= 0.7


def test_hard_mode_loads_through_the_folder_dataset(hard_set):
    root, meta = hard_set
    dataset = folder_dataset(root, 'train', meta['img_suffix'])
    assert len(dataset) == 80
    sample = dataset[0]
    assert sample['inputs'].shape == (3, 112, 112)
    mask = sample['data_samples'].gt_sem_seg.data[0].numpy()
    labels = sample['data_samples'].gt_img_labels.numpy()
    present = np.unique(mask)
    np.testing.assert_array_equal(
        np.flatnonzero(labels) + 1, present[(present > 0) & (present < 255)])
