"""Bad input reaches a clear error or a counted, logged skip: never a NaN or
a wrong number. (A CAM file from another run's class list is refused in
tests/test_engine/test_cam_generation_loop.py; a missing or unreadable
image or mask, and mask ids out of range at dataset build, in
tests/test_datasets/test_bad_input.py.)"""
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from tiny_data import make_folder_tree, write_mask

from mmconta.datasets import base_wsss_dataset
from mmconta.engine.hooks import ConfounderBankHook
from mmconta.models import ContextAdjustedCAMHead
from mmconta.registry import DATASETS, MODELS
from mmconta.utils import set_num_classes

REPO = Path(__file__).parents[2]
CAM_SHAPES = 'configs/cam/cam_r18-w16_1xb16-12e_shapes-96x96.py'
SEG_SHAPES = 'configs/seg/deeplab-aspp_r18-w16_1xb16-10e_shapes-96x96.py'
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackWSSSInputs')
]


@pytest.fixture
def tree(tmp_path):
    init_default_scope('mmconta')
    make_folder_tree(tmp_path)  # 5 images 24 x 32, classes cat, dog, cow
    return tmp_path


def build(root, **kwargs):
    return DATASETS.build(
        dict(type='FolderWSSSDataset', data_root=str(root), img_suffix='.png',
             **kwargs))


def test_corrupt_image_is_an_error_naming_it(tree):
    (tree / 'JPEGImages/img_001.png').write_bytes(b'\x89PNG\r\n\x1a\n trunc')
    dataset = build(tree, pipeline=PIPELINE, max_refetch=0)
    with pytest.raises(Exception, match='img_001.png'):
        dataset[1]


def test_mask_of_the_wrong_size_is_an_error_naming_it(tree):
    write_mask(tree / 'SegmentationClass/img_002.png',
               np.zeros((20, 32), np.uint8))
    dataset = build(tree, pipeline=PIPELINE)
    with pytest.raises(ValueError, match=r'img_002.png: gt_seg_map is '
                       r'\(20, 32\) but its image'):
        dataset[2]
    # Also after transforms that would hide it behind a common output size.
    dataset = build(tree, pipeline=PIPELINE[:2] + [
        dict(type='RandomResize', scale=(64, 64), ratio_range=(1, 1),
             keep_ratio=True),
        dict(type='PackWSSSInputs')
    ])
    with pytest.raises(ValueError, match='img_002.png'):
        dataset[2]


def test_class_id_out_of_range_is_an_error_naming_the_mask(tree):
    mask = np.zeros((24, 32), np.uint8)
    mask[:4, :4] = 9  # the folder has classes 0-3
    write_mask(tree / 'SegmentationClass/img_003.png', mask)
    with pytest.raises(ValueError, match=r'img_003.png holds class ids \[9\]'):
        build(tree)


def test_images_without_a_labelled_class_are_counted_and_dropped(
        tree, monkeypatch):
    write_mask(tree / 'SegmentationClass/img_000.png',
               np.zeros((24, 32), np.uint8))
    logged = []
    monkeypatch.setattr(base_wsss_dataset, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    kept = build(tree)
    dropped = build(tree, drop_no_fg=True)
    assert len(kept) == 5 and len(dropped) == 4
    assert 'img_000' not in [dropped.get_data_info(i)['img_id']
                             for i in range(4)]
    assert any('1 of 5 images have no foreground class (dropped)' in m
               for m in logged)


def test_a_crop_of_only_ignore_pixels_gives_a_zero_loss():
    init_default_scope('mmconta')
    cfg = Config.fromfile(REPO / SEG_SHAPES)
    model = MODELS.build(cfg.model)
    sample = SegDataSample(metainfo=dict(img_shape=(32, 32)))
    sample.gt_sem_seg = PixelData(
        data=torch.full((1, 32, 32), 255, dtype=torch.long))
    # Two such crops: ASPP's image pooling needs a batch above 1 to train.
    losses = model(torch.randn(2, 3, 32, 32), [sample, sample], mode='loss')
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(loss) and loss.item() == 0
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters()
               if p.grad is not None)

    # The classifier on a crop that lost every labelled class.
    cfg = Config.fromfile(REPO / CAM_SHAPES)
    model = MODELS.build(cfg.model)
    sample = SegDataSample()
    sample.gt_img_labels = torch.zeros(6)
    loss = model(torch.randn(1, 3, 32, 32), [sample], mode='loss')['loss_cls']
    assert torch.isfinite(loss)


def test_a_class_in_no_image_gives_a_zero_confounder_and_finite_m(tmp_path):
    dataset = type('Tiny', (list, ), dict(
        metainfo=dict(classes=('background', 'a', 'b', 'c'))))(range(1))
    runner = type('R', (), dict(work_dir=str(tmp_path), test_dataloader=type(
        'L', (), dict(dataset=dataset, sampler=None))))
    for prior in ('uniform', 'frequency'):
        hook = ConfounderBankHook(size=(4, 4), prior=prior)
        hook.before_test_epoch(runner)
        sample = SegDataSample()
        pred = torch.zeros(1, 8, 8, dtype=torch.long)
        pred[:, :4] = 1
        sample.pred_sem_seg = PixelData(data=pred)
        sample.gt_img_labels = torch.tensor([1., 0, 0])
        hook.after_test_iter(runner, 0, outputs=[sample])
        hook.after_test_epoch(runner)
        with np.load(tmp_path / 'confounder_bank.npz') as bank:
            np.testing.assert_array_equal(bank['counts'], [1, 0, 0])
            assert not bank['confounders'][1:].any()
            assert np.isfinite(bank['prior']).all()

        head = ContextAdjustedCAMHead(
            in_channels=4, num_classes=3,
            bank_file=str(tmp_path / 'confounder_bank.npz'))
        sample.prev_mask = PixelData(data=pred)
        loss = head.loss(torch.randn(1, 4, 8, 8), [sample])['loss_cls']
        assert torch.isfinite(loss)


@pytest.mark.parametrize('stage,key', [
    (CAM_SHAPES, 'model.head.num_classes'),
    (SEG_SHAPES, 'model.decode_head.num_classes'),
])
@pytest.mark.parametrize('num_classes', [None, 7])
def test_a_class_count_unlike_the_datasets_is_refused(tree, tmp_path, stage,
                                                      key, num_classes):
    """A model built with another count than the data's, as the config
    says it (None) or by the top-level num_classes, stops before the first
    step with the keys to set."""
    cfg = Config.fromfile(REPO / stage)
    # The folder tree has 3 foreground classes; the configs 6.
    cfg.train_dataloader = dict(
        batch_size=2, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(type='FolderWSSSDataset', data_root=str(tree),
                     img_suffix='.png', pipeline=PIPELINE))
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = uuid.uuid4().hex
    cfg.visualizer.name = cfg.experiment_name
    if num_classes is not None:
        set_num_classes(cfg, num_classes)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=f'{key} = [67], but the train '
                       r'dataset .*: set num_classes = 4 \(top level'):
        runner.train()


@pytest.mark.parametrize('stage,key,count', [
    (CAM_SHAPES, 'head', 3),
    (SEG_SHAPES, 'decode_head', 4),
])
def test_the_class_count_comes_from_the_class_list(tree, stage, key, count):
    cfg = Config.fromfile(REPO / stage)
    cfg.train_dataloader.dataset = dict(
        type='FolderWSSSDataset', data_root=str(tree), img_suffix='.png')
    assert set_num_classes(cfg) == 4
    assert cfg.model[key].num_classes == count
    assert set_num_classes(cfg, 9) == 9
    assert cfg.model[key].num_classes == count + 5
    with pytest.raises(ValueError, match='an int >= 2, got 1'):
        set_num_classes(cfg, 1)
    # A refiner has no class count; its config is left as it is.
    refiner = Config.fromfile(
        REPO / 'configs/irn/irn_r18-w16_1xb16-10e_shapes-96x96.py')
    assert set_num_classes(refiner) is None
