"""Images with image-level labels only: LabelFileWSSSDataset, its label
files, and the errors a user's own files can cause."""
import json
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmconta.datasets import label_file_wsss_dataset
from mmconta.datasets.image_label_file import read_image_label_file
from mmconta.registry import DATASETS
from tiny_data import expected_labels, make_label_file_tree

REPO = Path(__file__).parents[2]
CLASSES = ('background', 'cat', 'dog', 'cow')


@pytest.fixture
def tree(tmp_path):
    init_default_scope('mmconta')
    masks = make_label_file_tree(tmp_path, CLASSES)
    return tmp_path, masks


def build(root, **kwargs):
    cfg = dict(type='LabelFileWSSSDataset', data_root=str(root),
               class_file='class_names.txt', pipeline=[])
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_training_split_without_masks_reads_the_labels(tree):
    root, masks = tree
    dataset = build(root)
    assert dataset.metainfo['classes'] == CLASSES
    assert len(dataset) == 4
    for info in (dataset.get_data_info(i) for i in range(len(dataset))):
        assert info['seg_map_path'] is None
        np.testing.assert_array_equal(
            info['img_labels'], expected_labels(masks[info['img_id']], 4))


def test_val_split_reads_its_masks(tree):
    root, _ = tree
    dataset = build(root, ann_file='val.csv',
                    data_prefix=dict(img_path='images', seg_map_path='masks'))
    info = dataset.get_data_info(0)
    assert info['seg_map_path'].endswith('masks/val_000.png')


def test_json_and_csv_with_both_separators_agree(tree):
    root, _ = tree
    (root / 'train.csv').write_text(
        'image,labels\ntrain_000.png,cat|dog\n"train_001",cow ; cat\n'
        'train_002,dog\ntrain_003,cow\n')
    (root / 'train.json').write_text(json.dumps({
        'train_000': ['cat', 'dog'], 'train_001.png': ['cow', 'cat'],
        'train_002': ['dog'], 'train_003': 'cow'}))
    by_csv, by_json = build(root), build(root, ann_file='train.json')
    for i in range(4):
        a, b = by_csv.get_data_info(i), by_json.get_data_info(i)
        assert a['img_path'] == b['img_path']
        np.testing.assert_array_equal(a['img_labels'], b['img_labels'])
    np.testing.assert_array_equal(by_csv.get_data_info(1)['img_labels'],
                                  [1, 0, 1])


def test_class_list_from_the_label_file(tree):
    root, _ = tree
    (root / 'train.csv').write_text(
        'image,labels\ntrain_000,dog\ntrain_001,cow|cat\n')
    dataset = build(root, class_file=None)
    assert dataset.metainfo['classes'] == ('background', 'cat', 'cow', 'dog')
    with pytest.raises(ValueError, match='a split with masks needs '
                       'class_file'):
        build(root, class_file=None, ann_file='val.csv',
              data_prefix=dict(img_path='images', seg_map_path='masks'))


def test_unknown_class_names_file_and_line(tree):
    root, _ = tree
    (root / 'train.csv').write_text(
        'image,labels\ntrain_000,cat\ntrain_001,zebra;dog\n')
    with pytest.raises(ValueError, match=r"train.csv:3: image 'train_001' is "
                       r"labelled 'zebra', which is not a foreground class"):
        build(root)


def test_image_listed_twice(tree):
    root, _ = tree
    (root / 'train.csv').write_text(
        'image,labels\ntrain_000,cat\ntrain_001,dog\ntrain_000.png,cow\n')
    with pytest.raises(ValueError, match=r"train.csv:4: image 'train_000.png' "
                       r'is listed twice \(first at line 2\)'):
        build(root)
    (root / 'train.json').write_text(
        '{\n "train_000": ["cat"],\n "train_001": ["dog"],\n'
        ' "train_000": ["cow"]\n}\n')
    with pytest.raises(ValueError, match=r"train.json:4: image 'train_000' is "
                       r'listed twice \(first at line 2\)'):
        build(root, ann_file='train.json')


def test_missing_image_names_the_line(tree):
    root, _ = tree
    (root / 'images/train_002.png').unlink()
    with pytest.raises(FileNotFoundError, match=r"train.csv:4: image "
                       r"'train_002' not found in .*images"):
        build(root)


def test_image_without_label_is_skipped_or_kept(tree, monkeypatch):
    root, _ = tree
    (root / 'train.csv').write_text(
        'image,labels\ntrain_000,cat\ntrain_001,\ntrain_002,dog\n')
    logged = []
    monkeypatch.setattr(label_file_wsss_dataset, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    skipped = build(root)
    assert [skipped.get_data_info(i)['img_id'] for i in range(2)] == [
        'train_000', 'train_002']
    assert any('1 of 3 images in' in m and 'skipped' in m
               and 'lines [3]' in m for m in logged)
    kept = build(root, unlabelled='background')
    assert len(kept) == 3 and not kept.get_data_info(1)['img_labels'].any()
    with pytest.raises(ValueError, match='unlabelled must be one of'):
        build(root, unlabelled='drop')


@pytest.mark.parametrize('text,match', [
    ('name;labels\na,cat\n', r'train.csv:1: a label file is either JSON'),
    ('', r'train.csv:1: a label file is either JSON'),
    ('image,labels\ntrain_000,cat,dog\n', r'train.csv:2: expected 2 fields'),
    ('{"train_000": 3}', r'train.csv:1: the labels of image .* must be a '
     'list of class names'),
    ('{"train_000": ["cat"],', r'train.csv:1: not valid JSON'),
    ('["cat"]', r'a JSON label file is one object'),
])
def test_label_file_in_neither_format(tmp_path, text, match):
    path = tmp_path / 'train.csv'
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        read_image_label_file(str(path))


@pytest.mark.parametrize('pipeline', ['train_pipeline', 'cam_pipeline'])
def test_the_synthetic_pipelines_run_without_masks(tree, pipeline):
    """The shapes configs' classifier and CAM pipelines on a split of
    labels only: no mask is loaded, the labels stay the file's."""
    root, masks = tree
    cfg = Config.fromfile(REPO / 'configs/_base_/datasets/shapes_cls.py')
    dataset = build(root, pipeline=cfg[pipeline])
    sample = dataset[0]['data_samples']
    assert 'gt_sem_seg' not in sample and 'gt_context' not in sample
    np.testing.assert_array_equal(sample.gt_img_labels.numpy(),
                                  expected_labels(masks['train_000'], 4))
