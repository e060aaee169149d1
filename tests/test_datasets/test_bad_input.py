"""Bad dataset input fails with an error that names the file."""
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmconta.registry import DATASETS
from tiny_data import make_folder_tree, write_mask


@pytest.fixture
def tree(tmp_path):
    init_default_scope('mmconta')
    make_folder_tree(tmp_path)
    return tmp_path


def build(root, **kwargs):
    return DATASETS.build(
        dict(type='FolderWSSSDataset', data_root=str(root), img_suffix='.png',
             **kwargs))


def test_missing_image(tree):
    (tree / 'JPEGImages/img_002.png').unlink()
    with pytest.raises(FileNotFoundError, match='img_002.png'):
        build(tree)


def test_missing_mask(tree):
    (tree / 'SegmentationClass/img_003.png').unlink()
    with pytest.raises(FileNotFoundError, match='img_003.png'):
        build(tree)


def test_split_names_absent_files(tree):
    split = tree / 'ImageSets/Segmentation/train.txt'
    split.write_text(split.read_text() + 'ghost_a\nghost_b\n')
    with pytest.raises(FileNotFoundError,
                       match=r'4 file\(s\) named by .*train.txt.*ghost_a'):
        build(tree)


def test_missing_split_file(tree):
    with pytest.raises(FileNotFoundError, match='nosuch.txt'):
        build(tree, ann_file='ImageSets/Segmentation/nosuch.txt')


def test_mask_value_out_of_range(tree):
    mask = np.zeros((24, 32), np.uint8)
    mask[3, 3] = 7  # 4 classes: valid ids are 0..3 and 255
    write_mask(tree / 'SegmentationClass/img_001.png', mask)
    with pytest.raises(ValueError, match=r'img_001.png holds class ids \[7\]'):
        build(tree)


def test_empty_class_list(tree):
    (tree / 'class_names.txt').write_text('\n')
    with pytest.raises(ValueError, match='class_names.txt'):
        build(tree)


def test_missing_class_list(tree):
    with pytest.raises(FileNotFoundError, match='classes.txt'):
        build(tree, class_file='classes.txt')


def test_unreadable_image_fails_at_load(tree):
    (tree / 'JPEGImages/img_004.png').write_bytes(b'not an image at all')
    dataset = build(tree, pipeline=[dict(type='LoadImageFromFile')],
                    max_refetch=0)
    with pytest.raises(Exception, match='img_004.png'):
        dataset[4]
