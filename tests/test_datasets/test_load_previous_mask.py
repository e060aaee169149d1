"""LoadPreviousMask: an image's own x_m, or another image's (shuffled), as
the dataset's prev_mask_dir and prev_mask_shuffle_seed give them."""
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmconta.datasets import derangement
from mmconta.datasets.transforms import LoadPreviousMask
from mmconta.registry import DATASETS
from tiny_data import make_folder_tree, write_mask

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='LoadPreviousMask'),
    dict(type='PackWSSSInputs'),
]


@pytest.fixture(autouse=True)
def mmconta_scope():
    init_default_scope('mmconta')


def folder_dataset(root, **kwargs):
    return DATASETS.build(
        dict(type='FolderWSSSDataset', data_root=str(root),
             img_suffix='.png', pipeline=PIPELINE, **kwargs))


@pytest.fixture
def tree(tmp_path):
    """A folder tree and, per image, a previous mask of value index + 1."""
    masks = make_folder_tree(tmp_path)
    for index, (name, mask) in enumerate(masks.items()):
        write_mask(tmp_path / 'seg_train' / f'{name}.png',
                   np.full_like(mask, index + 1))
    return tmp_path, list(masks)


def test_own_mask(tree):
    root, names = tree
    dataset = folder_dataset(root, prev_mask_dir=str(root / 'seg_train'))
    for index in range(len(names)):
        sample = dataset[index]['data_samples']
        assert (sample.prev_mask.data == index + 1).all()


def test_round_0_loads_nothing(tree):
    root, _ = tree
    sample = folder_dataset(root)[0]['data_samples']
    assert 'prev_mask' not in sample


def test_shuffled_is_a_fixed_derangement(tree):
    root, names = tree
    partners = derangement(names, 0)
    assert sorted(partners.values()) == names  # every mask used once
    assert all(p != i for i, p in partners.items())  # none its own
    assert derangement(names, 0) == partners
    assert derangement(names, 1) != partners
    dataset = folder_dataset(root, prev_mask_dir=str(root / 'seg_train'),
                             prev_mask_shuffle_seed=0)
    for index, name in enumerate(names):
        value = names.index(partners[name]) + 1
        assert (dataset[index]['data_samples'].prev_mask.data == value).all()


def test_shuffled_mask_is_resized_to_the_image(tmp_path):
    for i in range(2):
        write_mask(tmp_path / f'img_{i}.png', np.full((4, 6), i, np.uint8))
    result = LoadPreviousMask()(dict(
        img_id='img_0', img=np.zeros((8, 12, 3)),
        prev_mask_path=str(tmp_path / 'img_1.png')))
    assert result['prev_mask'].shape == (8, 12)
    assert (result['prev_mask'] == 1).all()


def test_missing_masks_are_named(tree):
    root, names = tree
    (root / 'seg_train' / f'{names[2]}.png').unlink()
    with pytest.raises(FileNotFoundError, match=f'{names[2]}.png'):
        folder_dataset(root, prev_mask_dir=str(root / 'seg_train'))
    with pytest.raises(FileNotFoundError,
                       match=f'no previous mask {names[2]}'):
        folder_dataset(root, prev_mask_dir=str(root / 'seg_train'),
                       prev_mask_shuffle_seed=0)
