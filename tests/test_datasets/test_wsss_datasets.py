"""The registered WSSS datasets on tiny generated VOC, COCO and folder
trees."""
import numpy as np
import pytest
import torch
from mmengine.registry import DATASETS as ROOT_DATASETS
from mmengine.registry import init_default_scope

from mmconta.datasets import read_split_file
from mmconta.registry import DATASETS
from tiny_data import (expected_labels, make_coco_tree, make_folder_tree,
                       make_voc_tree, write_mask)

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackWSSSInputs'),
]


@pytest.fixture(autouse=True)
def mmconta_scope():
    init_default_scope('mmconta')


def check_samples(dataset, masks, num_classes):
    assert len(dataset) == len(masks)
    for index, (name, mask) in enumerate(masks.items()):
        info = dataset.get_data_info(index)
        assert info['img_id'] == name
        np.testing.assert_array_equal(info['img_labels'],
                                      expected_labels(mask, num_classes))
    sample = dataset[0]['data_samples']
    first = next(iter(masks.values()))
    assert sample.gt_img_labels.dtype == torch.float32
    assert sample.gt_img_labels.shape == (num_classes - 1, )
    assert sample.img_id == next(iter(masks))
    np.testing.assert_array_equal(sample.gt_sem_seg.data[0].numpy(), first)


def test_voc_train_aug_labels_from_masks(tmp_path):
    masks = make_voc_tree(tmp_path)
    dataset = DATASETS.build(
        dict(type='VOCWSSSDataset', data_root=str(tmp_path),
             pipeline=PIPELINE))
    assert dataset.metainfo['classes'][15] == 'person'
    check_samples(dataset, masks, 21)


def test_voc_train_split_with_irn_cls_labels(tmp_path):
    masks = make_voc_tree(tmp_path)
    (tmp_path / 'ImageSets/Segmentation/train.txt').write_text(
        ''.join(f'/JPEGImages/{n}.jpg /SegmentationClass/{n}.png\n'
                for n in masks))
    # IRN keys VOC names as integers: 2007_000001 -> 2007000001.
    table = {int(n.replace('_', '')): expected_labels(m, 21)
             for n, m in masks.items()}
    np.save(tmp_path / 'cls_labels.npy', table)
    dataset = DATASETS.build(
        dict(type='VOCWSSSDataset', data_root=str(tmp_path),
             ann_file='ImageSets/Segmentation/train.txt',
             data_prefix=dict(img_path='JPEGImages',
                              seg_map_path='SegmentationClass'),
             cls_label_file='cls_labels.npy', pipeline=PIPELINE))
    check_samples(dataset, masks, 21)


def test_cls_label_file_with_other_class_count_is_refused(tmp_path):
    masks = make_voc_tree(tmp_path)
    np.save(tmp_path / 'cls_labels.npy',
            {n: np.zeros(80, np.float32) for n in masks})
    with pytest.raises(ValueError, match='80 classes.*20 foreground'):
        DATASETS.build(dict(type='VOCWSSSDataset', data_root=str(tmp_path),
                            cls_label_file='cls_labels.npy'))


def test_coco_layout(tmp_path):
    masks = make_coco_tree(tmp_path)
    dataset = DATASETS.build(
        dict(type='COCOWSSSDataset', data_root=str(tmp_path),
             pipeline=PIPELINE))
    assert len(dataset.metainfo['classes']) == 81
    assert len(dataset.metainfo['palette']) == 81
    check_samples(dataset, masks, 81)


def test_folder_dataset_reads_its_class_list(tmp_path):
    masks = make_folder_tree(tmp_path)
    dataset = DATASETS.build(
        dict(type='FolderWSSSDataset', data_root=str(tmp_path),
             img_suffix='.png', pipeline=PIPELINE))
    assert dataset.metainfo['classes'] == ('background', 'cat', 'dog', 'cow')
    check_samples(dataset, masks, 4)


def test_types_resolve_from_the_root_registry_under_mmconta_scope(tmp_path):
    make_folder_tree(tmp_path)
    dataset = ROOT_DATASETS.build(
        dict(type='FolderWSSSDataset', data_root=str(tmp_path),
             img_suffix='.png'))
    assert type(dataset).__name__ == 'FolderWSSSDataset'


def test_drop_images_without_foreground(tmp_path):
    masks = make_folder_tree(tmp_path)
    write_mask(tmp_path / 'SegmentationClass/img_000.png',
               np.zeros_like(masks['img_000']))
    cfg = dict(type='FolderWSSSDataset', data_root=str(tmp_path),
               img_suffix='.png')
    assert len(DATASETS.build(cfg)) == 5
    kept = DATASETS.build(dict(cfg, drop_no_fg=True))
    assert [kept.get_data_info(i)['img_id'] for i in range(len(kept))] == [
        'img_001', 'img_002', 'img_003', 'img_004'
    ]


def test_split_file_formats(tmp_path):
    split = tmp_path / 'split.txt'
    split.write_text('2007_000032\n2007_000039.jpg\n\n'
                     '/JPEGImages/2007_000063.jpg /Seg/2007_000063.png\n')
    assert read_split_file(str(split)) == [
        '2007_000032', '2007_000039', '2007_000063'
    ]


def test_recompute_labels_after_crop():
    from mmconta.datasets import RecomputeImageLabels
    mask = np.zeros((10, 10), np.uint8)
    mask[:, :5] = 1
    mask[0, 9] = 3  # a single pixel of class 3
    results = dict(gt_seg_map=mask[:, :5].copy(),
                   img_labels=np.array([1, 0, 1], np.float32))
    out = RecomputeImageLabels()(results)
    np.testing.assert_array_equal(out['img_labels'], [1, 0, 0])
    results = dict(gt_seg_map=mask, img_labels=np.array([1, 0, 1], np.float32))
    out = RecomputeImageLabels(min_pixels=2)(results)
    np.testing.assert_array_equal(out['img_labels'], [1, 0, 0])
    with pytest.raises(ValueError, match='min_pixels'):
        RecomputeImageLabels(min_pixels=0)


def test_random_crop_pipeline_keeps_labels_consistent(tmp_path):
    make_folder_tree(tmp_path, num_images=5)
    pipeline = PIPELINE[:2] + [
        dict(type='RandomCrop', crop_size=(8, 8)),
        dict(type='RecomputeImageLabels'),
        dict(type='PackWSSSInputs'),
    ]
    dataset = DATASETS.build(
        dict(type='FolderWSSSDataset', data_root=str(tmp_path),
             img_suffix='.png', pipeline=pipeline))
    for index in range(len(dataset)):
        sample = dataset[index]['data_samples']
        mask = sample.gt_sem_seg.data[0].numpy()
        np.testing.assert_array_equal(sample.gt_img_labels.numpy(),
                                      expected_labels(mask, 4))


def test_context_maps_follow_the_image(tmp_path):
    masks = make_folder_tree(tmp_path)
    for name, mask in masks.items():
        write_mask(tmp_path / 'ContextMaps' / f'{name}.png',
                   np.fliplr(mask).copy())
    pipeline = PIPELINE[:2] + [
        dict(type='LoadContextMap'),
        dict(type='RandomFlip', prob=1.0),
        dict(type='PackWSSSInputs'),
    ]
    dataset = DATASETS.build(
        dict(type='FolderWSSSDataset', data_root=str(tmp_path),
             img_suffix='.png', pipeline=pipeline,
             data_prefix=dict(img_path='JPEGImages',
                              seg_map_path='SegmentationClass',
                              context_path='ContextMaps')))
    sample = dataset[1]['data_samples']
    # The context map was the mirrored mask; after the flip both swap sides.
    np.testing.assert_array_equal(sample.gt_context.data[0].numpy(),
                                  masks['img_001'])
    np.testing.assert_array_equal(sample.gt_sem_seg.data[0].numpy(),
                                  np.fliplr(masks['img_001']))


def test_folder_dataset_finds_the_image_suffix(tmp_path):
    """img_suffix='auto': the synthetic easy mode writes PNG, hard mode
    JPEG."""
    from mmconta.datasets import FolderWSSSDataset
    from mmconta.datasets.synthetic import generate
    for difficulty, suffix in (('easy', '.png'), ('hard', '.jpg')):
        root = tmp_path / difficulty
        generate(str(root), num_train=3, num_val=1, difficulty=difficulty)
        dataset = FolderWSSSDataset(
            data_root=str(root), img_suffix='auto',
            data_prefix=dict(img_path='JPEGImages',
                             seg_map_path='SegmentationClass'),
            pipeline=[])
        assert len(dataset) == 3
        assert dataset[0]['img_path'].endswith(suffix)
    (tmp_path / 'hard/JPEGImages/train_000000.jpg').unlink()
    with pytest.raises(FileNotFoundError, match='train_000000'):
        FolderWSSSDataset(data_root=str(tmp_path / 'hard'), img_suffix='auto')


@pytest.mark.parametrize('indices, kept', [(2, [0, 1]), (-1, [4]),
                                           ([3, 1], [3, 1])])
def test_indices_cut_before_files_are_looked_for(tmp_path, indices, kept):
    """A cut run (``indices``) has CAM files for its own images only."""
    names = list(make_voc_tree(tmp_path, num_images=5))
    cam_dir = tmp_path / 'cam'
    cam_dir.mkdir()
    for i in kept:
        (cam_dir / f'{names[i]}.npz').touch()
    dataset = DATASETS.build(
        dict(type='VOCWSSSDataset', data_root=str(tmp_path),
             cam_dir=str(cam_dir), indices=indices, pipeline=[]))
    assert [dataset.get_data_info(i)['img_id']
            for i in range(len(dataset))] == [names[i] for i in kept]
    with pytest.raises(FileNotFoundError, match='are missing'):
        DATASETS.build(dict(type='VOCWSSSDataset', data_root=str(tmp_path),
                            cam_dir=str(cam_dir), pipeline=[]))
