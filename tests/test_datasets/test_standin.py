"""VOC- and COCO-scale stand-ins read through the real datasets' configs."""
import copy
import filecmp
import json
import re
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmconta.datasets import COCOWSSSDataset, VOCWSSSDataset
from mmconta.datasets.synthetic import confounded_shapes as shapes
from mmconta.datasets.synthetic import standin
from mmconta.registry import DATASETS
from mmconta.utils import load_label_table, register_all_modules
from mmconta.utils import set_data_root

REPO = Path(__file__).parents[2]
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
SIDES = (300, 360)
NUM_TRAIN, NUM_VAL = 6, 3
BASES = dict(
    voc=('voc12aug_cls', 'voc12aug_seg', 'voc12aug_refine'),
    coco=('coco_cls', 'coco_seg', 'coco_refine'))
DATASET_TYPES = dict(voc=VOCWSSSDataset, coco=COCOWSSSDataset)
NAME_PATTERNS = dict(
    voc=r'20(07|08)_\d{6}', coco=r'COCO_(train|val)2014_\d{12}')


@pytest.fixture(scope='module', params=standin.LAYOUTS)
def standin_set(request, tmp_path_factory):
    """A small stand-in of each layout, read-only: (layout, root, meta)."""
    root = tmp_path_factory.mktemp(request.param)
    meta = standin.write_standin(
        str(root), request.param, NUM_TRAIN, NUM_VAL, seed=0,
        min_side=SIDES[0], max_side=SIDES[1])
    return request.param, root, meta


def tree_files(root: Path):
    return sorted(p.relative_to(root) for p in root.rglob('*') if p.is_file())


def same_tree(a: Path, b: Path) -> bool:
    files = tree_files(a)
    return files == tree_files(b) and all(
        filecmp.cmp(a / f, b / f, shallow=False) for f in files)


def read_names(path: Path):
    return path.read_text().split()


def config_datasets(cfg: Config):
    """(loader, dataset config) of every dataloader of ``cfg``: a
    PseudoLabelDataset's source, without the round loop's CAM folder."""
    for loader in LOADERS:
        if cfg.get(loader) is None:
            continue
        dataset = copy.deepcopy(cfg[loader].dataset)
        if dataset.type == 'PseudoLabelDataset':
            dataset = dataset.dataset  # its pseudo_dir exists in a round
        dataset.pop('cam_dir', None)
        yield loader, dataset


def check_dataset(dataset, root: Path):
    """Every listed file exists, and the labels are the masks'."""
    assert len(dataset) == len(read_names(Path(dataset.ann_file)))
    assert Path(dataset.ann_file).is_relative_to(root)
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        assert info['img_path'].endswith('.jpg')
        assert Path(info['img_path']).is_file()
        np.testing.assert_array_equal(
            info['img_labels'], dataset.labels_from_mask(info['seg_map_path']))
    return Path(dataset.ann_file).relative_to(root).as_posix()


def test_every_base_config_reads_the_standin(standin_set):
    register_all_modules()
    layout, root, _ = standin_set
    split_files = set()
    for base in BASES[layout]:
        cfg = Config.fromfile(
            str(REPO / f'configs/_base_/datasets/{base}.py'))
        assert set_data_root(cfg, str(root)) >= 1
        for loader, dataset_cfg in config_datasets(cfg):
            dataset = DATASETS.build(dataset_cfg)
            assert isinstance(dataset, DATASET_TYPES[layout]), (base, loader)
            split_files.add(check_dataset(dataset, root))
            if base.endswith('_cls') and loader == 'train_dataloader':
                # IRN's training pipeline runs on a stand-in image.
                sample = dataset[0]['data_samples']
                assert sample.gt_img_labels.shape == (
                    len(dataset.metainfo['classes']) - 1, )
    assert split_files == ({
        'ImageSets/Segmentation/train_aug.txt',
        'ImageSets/Segmentation/train.txt', 'ImageSets/Segmentation/val.txt'
    } if layout == 'voc' else {'ImageSets/train.txt', 'ImageSets/val.txt'})


@pytest.mark.parametrize('method', ('cam', 'irn', 'seam'))
def test_every_conta_config_stage_reads_the_standin(standin_set, method):
    from mmconta.engine import ContaRoundRunner
    register_all_modules()
    layout, root, _ = standin_set
    cfg = Config.fromfile(str(REPO / f'configs/conta/{method}_{layout}.py'))
    cfg.work_dir = 'work_dirs/unused'  # building writes nothing
    runner = ContaRoundRunner.from_cfg(cfg)
    for stage, stage_cfg in runner.stage_cfgs.items():
        stage_cfg = copy.deepcopy(stage_cfg)
        set_data_root(stage_cfg, str(root))
        for loader, dataset_cfg in config_datasets(stage_cfg):
            check_dataset(DATASETS.build(dataset_cfg), root)


def test_files_sizes_ids_and_labels(standin_set):
    layout, root, meta = standin_set
    spec = standin.LAYOUT_SPECS[layout]
    ids = standin.class_ids(layout)
    assert [spec.classes[i] for i in ids] == [
        spec.mapping[n] for n in shapes.CLASS_NAMES]
    assert len(set(ids)) == len(ids)
    table = load_label_table(str(root / 'cls_labels.npy'))
    heights, widths = set(), set()
    for split in spec.splits:
        names = read_names(root / spec.split_dir / f'{split.name}.txt')
        assert len(names) == (NUM_TRAIN if split is spec.splits[0] else
                              NUM_VAL)
        for name in names:
            assert re.fullmatch(NAME_PATTERNS[layout], name)
            with Image.open(root / split.img_dir / f'{name}.jpg') as image:
                assert image.format == 'JPEG' and image.mode == 'RGB'
                width, height = image.size
            assert SIDES[0] <= min(height, width) <= max(
                height, width) <= SIDES[1]
            heights.add(height)
            widths.add(width)
            masks = [np.asarray(Image.open(root / d / f'{name}.png'))
                     for d in split.mask_dirs]
            mask = masks[0]
            assert mask.shape == (height, width)
            assert all(np.array_equal(mask, m) for m in masks)
            assert set(np.unique(mask)) <= {0, 255, *ids}
            context = np.asarray(
                Image.open(root / split.context_dir / f'{name}.png'))
            assert set(np.unique(context)) <= {0, len(spec.classes), *ids}
            labels = np.zeros(len(spec.classes) - 1, np.float32)
            present = [i for i in np.unique(mask) if 0 < i < 255]
            labels[np.asarray(present, int) - 1] = 1
            key = int(name.replace('_', '')) if layout == 'voc' else name
            assert table[key].dtype == np.float32
            np.testing.assert_array_equal(table[key], labels)
    # IRN's table covers the training split and val, nothing else.
    assert len(table) == NUM_TRAIN + NUM_VAL
    assert len(heights) > 1 and len(widths) > 1
    assert meta['sizes'] == dict(height=[min(heights), max(heights)],
                                 width=[min(widths), max(widths)])
    assert meta['images_without_foreground'] == 0
    assert json.loads((root / 'meta.json').read_text()) == meta
    assert meta['class_mapping'] == {
        n: dict(name=spec.mapping[n], id=i)
        for n, i in zip(shapes.CLASS_NAMES, ids)
    }


@pytest.mark.parametrize('standin_set', ['voc'], indirect=True)
def test_voc_train_is_the_head_of_train_aug(standin_set):
    _, root, _ = standin_set
    sets = root / 'ImageSets/Segmentation'
    train_aug = read_names(sets / 'train_aug.txt')
    train = read_names(sets / 'train.txt')
    val = read_names(sets / 'val.txt')
    assert train == train_aug[:standin.voc_train_count(NUM_TRAIN)]
    assert not set(val) & set(train_aug)
    # VOC's own masks cover train and val only, SBD's every image.
    assert {p.stem for p in (root / 'SegmentationClass').iterdir()} == set(
        train + val)
    assert {p.stem for p in (root / 'SegmentationClassAug').iterdir()
            } == set(train_aug + val)


def test_label_file_gives_the_mask_labels(standin_set):
    register_all_modules()
    layout, root, _ = standin_set
    split = standin.LAYOUT_SPECS[layout].splits[1]
    kwargs = dict(
        data_root=str(root),
        ann_file=f'{standin.LAYOUT_SPECS[layout].split_dir}/val.txt',
        data_prefix=dict(img_path=split.img_dir,
                         seg_map_path=split.mask_dirs[0]))
    from_masks = DATASET_TYPES[layout](**kwargs)
    from_file = DATASET_TYPES[layout](cls_label_file='cls_labels.npy',
                                      **kwargs)
    for i in range(len(from_masks)):
        np.testing.assert_array_equal(
            from_masks.get_data_info(i)['img_labels'],
            from_file.get_data_info(i)['img_labels'])


def test_same_arguments_same_bytes_with_or_without_workers(tmp_path):
    for name, workers, seed in (('a', 0, 3), ('b', 2, 3), ('c', 0, 4)):
        standin.write_standin(str(tmp_path / name), 'voc', 4, 2, seed=seed,
                              min_side=64, max_side=96, workers=workers)
    assert same_tree(tmp_path / 'a', tmp_path / 'b')
    assert not filecmp.cmp(tmp_path / 'a/JPEGImages/2008_000000.jpg',
                           tmp_path / 'c/JPEGImages/2008_000000.jpg',
                           shallow=False)


def test_image_is_the_generators_image_cropped(tmp_path):
    """Before the crop a stand-in image is the generic generator's image at
    side max_side (easy mode: the generator's PNG masks are exact)."""
    standin.write_standin(str(tmp_path / 'voc'), 'voc', 3, 1,
                          min_side=64, max_side=96, difficulty='easy')
    shapes.generate(str(tmp_path / 'generic'), 3, 1, size=96)
    lut = np.zeros(256, np.uint8)
    lut[standin.class_ids('voc')] = np.arange(1, 7)
    for index in range(3):
        crop = np.asarray(Image.open(
            tmp_path / f'voc/SegmentationClassAug/2008_{index:06d}.png'))
        full = np.asarray(Image.open(
            tmp_path / f'generic/SegmentationClass/train_{index:06d}.png'))
        windows = np.lib.stride_tricks.sliding_window_view(full, crop.shape)
        assert (windows == lut[crop]).all(axis=(2, 3)).any()


def test_refuses_strangers_and_bad_arguments(tmp_path):
    (tmp_path / 'precious.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match='overwrite'):
        standin.write_standin(str(tmp_path), 'voc', 2, 1, min_side=64,
                              max_side=64)
    standin.write_standin(str(tmp_path), 'voc', 2, 1, min_side=64,
                          max_side=64, overwrite=True)
    # A stand-in is rewritten without overwrite, its old layout removed.
    meta = standin.write_standin(str(tmp_path), 'coco', 2, 1, min_side=64,
                                 max_side=64)
    assert meta['layout'] == 'coco'
    assert (tmp_path / 'precious.txt').exists()
    assert not (tmp_path / 'JPEGImages').exists()
    assert (tmp_path / 'train2014/COCO_train2014_000000000002.jpg').is_file()
    assert (tmp_path / 'val2014/COCO_val2014_000001000001.jpg').is_file()
    for kwargs in (dict(layout='ade'), dict(min_side=200, max_side=100),
                   dict(min_side=32, max_side=64),
                   dict(max_side=2048), dict(num_val=0),
                   dict(confounding=2.0)):
        args = dict(layout='voc', num_train=2, num_val=1, min_side=64,
                    max_side=64)
        args.update(kwargs)
        with pytest.raises(ValueError):
            standin.write_standin(str(tmp_path / 'new'), **args)
    assert not (tmp_path / 'new').exists()


def test_cli(tmp_path, capsys):
    small = ['--num-train', '2', '--num-val', '1']
    standin.main([str(tmp_path / 'cli'), '--layout', 'coco', *small,
                  '--min-side', '64', '--max-side', '80', '--difficulty',
                  'easy'])
    assert capsys.readouterr().out.startswith('wrote a coco stand-in')
    standin.write_standin(str(tmp_path / 'py'), 'coco', 2, 1, min_side=64,
                          max_side=80, difficulty='easy')
    assert same_tree(tmp_path / 'cli', tmp_path / 'py')
    # Without --layout (or with --layout generic): the generic generator.
    standin.main([str(tmp_path / 'generic_cli'), *small])
    standin.main([str(tmp_path / 'generic_cli2'), '--layout=generic',
                  *small])
    shapes.generate(str(tmp_path / 'generic_py'), 2, 1)
    assert same_tree(tmp_path / 'generic_cli', tmp_path / 'generic_py')
    assert same_tree(tmp_path / 'generic_cli2', tmp_path / 'generic_py')
    for argv in (['--layout', 'voc', '--size', '96'],
                 ['--layout', 'voc', '--min-side', '600'],
                 ['--layout', 'ade'], ['--min-side', '300']):
        with pytest.raises(SystemExit) as exit_info:
            standin.main([str(tmp_path / 'bad'), *argv])
        assert exit_info.value.code == 2
    assert not (tmp_path / 'bad').exists()
    args = standin.parse_args([str(tmp_path), '--layout', 'voc'])
    assert vars(args) == dict(
        out=str(tmp_path), layout='voc', num_train=300, num_val=100, seed=0,
        min_side=300, max_side=500, difficulty='hard', workers=0,
        overwrite=False, confounding=0.9, cooccurrence=0.0)
