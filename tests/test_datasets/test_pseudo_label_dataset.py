"""PseudoLabelDataset: the source's images and labels, a round's masks."""
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmconta.registry import DATASETS
from tiny_data import expected_labels, make_folder_tree, write_mask

SOURCE = dict(type='FolderWSSSDataset', img_suffix='.png')


@pytest.fixture
def tree(tmp_path):
    init_default_scope('mmconta')
    masks = make_folder_tree(tmp_path)
    pseudo = {}
    for name, mask in masks.items():
        pseudo[name] = np.where(mask > 0, 255, 0).astype(np.uint8)
        pseudo[name][:4, :4] = 2
        write_mask(tmp_path / 'pseudo' / f'{name}.png', pseudo[name])
    return tmp_path, masks, pseudo


def build(root, **kwargs):
    return DATASETS.build(
        dict(type='PseudoLabelDataset',
             dataset=dict(SOURCE, data_root=str(root)),
             pseudo_dir=str(root / 'pseudo'),
             pipeline=[
                 dict(type='LoadImageFromFile'),
                 dict(type='LoadAnnotations'),
                 dict(type='PackWSSSInputs')
             ],
             **kwargs))


def test_pseudo_masks_replace_ground_truth_labels_stay(tree):
    root, masks, pseudo = tree
    dataset = build(root)
    assert dataset.metainfo['classes'] == ('background', 'cat', 'dog', 'cow')
    assert len(dataset) == len(masks)
    for index, name in enumerate(masks):
        sample = dataset[index]['data_samples']
        np.testing.assert_array_equal(sample.gt_sem_seg.data[0].numpy(),
                                      pseudo[name])
        np.testing.assert_array_equal(sample.gt_img_labels.numpy(),
                                      expected_labels(masks[name], 4))


def test_missing_pseudo_mask_is_named(tree):
    root, _, _ = tree
    (root / 'pseudo/img_003.png').unlink()
    with pytest.raises(FileNotFoundError, match='1 of 5.*img_003.png'):
        build(root)


def test_invalid_id_in_a_pseudo_mask_is_named(tree):
    root, masks, _ = tree
    write_mask(root / 'pseudo/img_001.png', np.full((24, 32), 9, np.uint8))
    with pytest.raises(ValueError, match=r'img_001.png holds class ids \[9\]'):
        build(root)


def test_source_must_carry_image_labels(tree):
    root, _, _ = tree
    with pytest.raises(TypeError, match='BaseWSSSDataset'):
        DATASETS.build(
            dict(type='PseudoLabelDataset',
                 dataset=dict(type='PascalVOCDataset', data_root=str(root),
                              data_prefix=dict(
                                  img_path='JPEGImages',
                                  seg_map_path='SegmentationClass'),
                              ann_file='ImageSets/Segmentation/train.txt',
                              img_suffix='.png'),
                 pseudo_dir=str(root / 'pseudo')))
