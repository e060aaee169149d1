"""Configs load and build; the CAM configs' data and runner work."""
import shutil
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmseg.structures import SegDataSample
from tiny_data import make_coco_tree, make_tree, make_voc_tree

from mmconta.datasets.synthetic import generate
from mmconta.registry import DATASETS, MODELS
from mmconta.utils import drop_pretrained, set_data_root

REPO = Path(__file__).parents[2]
CONFIGS = sorted(
    str(p) for p in (REPO / 'configs').rglob('*.py')
    if '_base_' not in p.parts and 'conta' not in p.parts)
CONTA_CONFIGS = sorted(str(p) for p in (REPO / 'configs/conta').glob('*.py'))
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
CAM_VOC = 'cam_r50_4xb4-5e_voc12aug-512x512'
CAM_COCO = 'cam_r50_4xb4-5e_coco-512x512'
CAM_SHAPES = 'cam_r18-w16_1xb16-12e_shapes-96x96'


def build_model(path):
    init_default_scope('mmconta')
    cfg = Config.fromfile(path)
    drop_pretrained(cfg.model)
    return cfg, MODELS.build(cfg.model)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: Path(p).stem)
def test_config_builds(path):
    cfg, _ = build_model(path)
    assert cfg.default_scope == 'mmconta'
    assert cfg.custom_imports.imports == ['mmconta']
    # The runtime is written out: one inherited through 'mmseg::' would
    # leave _scope_='mmseg' behind and hide mmconta's visualizer.
    assert '_scope_' not in cfg.visualizer
    # Its runs load checkpoints weights-only; importing mmconta does not.
    assert dict(type='SafeLoadingHook') in cfg.custom_hooks


@pytest.mark.parametrize('path', CONTA_CONFIGS, ids=lambda p: Path(p).stem)
def test_conta_config_stages_agree(path):
    from mmconta.engine import ContaRoundRunner
    cfg = Config.fromfile(path)
    cfg.work_dir = 'work_dirs/unused'  # building writes nothing
    runner = ContaRoundRunner.from_cfg(cfg)
    assert runner.rounds >= 2
    cls_cfg, seg_cfg = runner.stage_cfgs['cls'], runner.stage_cfgs['seg']
    # The segmentor scores background and the classifier's K classes.
    assert seg_cfg.model.decode_head.num_classes == \
        cls_cfg.model.head.num_classes + 1
    assert cls_cfg.test_cfg.pseudo_mask is not None
    # CAMs (and so pseudo-masks and x_m) cover the segmentor's training set.
    source = seg_cfg.train_dataloader.dataset.dataset
    cams = cls_cfg.test_dataloader.dataset
    assert cams.ann_file == source.ann_file
    assert cams.type == source.type
    assert cls_cfg.train_dataloader.dataset.ann_file == source.ann_file
    if runner.refines:
        # The refiner learns from and walks the CAMs of that same set.
        refine_cfg = runner.stage_cfgs['refine']
        assert refine_cfg.test_dataloader.dataset.ann_file == source.ann_file
        assert refine_cfg.train_dataloader.dataset.dataset.ann_file == \
            source.ann_file
        assert refine_cfg.cam_labels
    # Every stage's runner loads checkpoints weights-only.
    for stage_cfg in runner.stage_cfgs.values():
        assert dict(type='SafeLoadingHook') in stage_cfg.custom_hooks


@pytest.mark.parametrize('name,num_classes', [(CAM_VOC, 20), (CAM_COCO, 80),
                                              (CAM_SHAPES, 6)])
def test_cam_configs(name, num_classes):
    cfg, model = build_model(str(REPO / f'configs/cam/{name}.py'))
    assert model.head.num_classes == num_classes
    assert cfg.test_cfg.type == 'CAMGenerationLoop'
    assert cfg.test_cfg.pseudo_mask.bg_thr == cfg.test_evaluator[0].bg_thr
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.head.lr_mult == 10


def test_voc_resnet50_forward_backward():
    _, model = build_model(str(REPO / f'configs/cam/{CAM_VOC}.py'))
    sample = SegDataSample()
    sample.gt_img_labels = torch.zeros(20)
    sample.gt_img_labels[14] = 1
    loss = model(torch.randn(2, 3, 64, 64), [sample, sample],
                 mode='loss')['loss_cls']
    loss.backward()
    assert model.head.classifier.weight.grad.abs().sum() > 0
    # IRN: no gradient reaches the stem and stages 1-2.
    assert model.backbone.layer2[0].conv1.weight.grad is None
    assert model.backbone.layer3[0].conv1.weight.grad is not None


def make_voc(root: Path) -> None:
    make_voc_tree(root)
    # The tiny tree's images stand in for VOC's train and val splits too.
    for split in ('train', 'val'):
        shutil.copy(root / 'ImageSets/Segmentation/train_aug.txt',
                    root / f'ImageSets/Segmentation/{split}.txt')


def make_coco(root: Path) -> None:
    make_coco_tree(root)
    make_tree(root, [f'COCO_val2014_{i:012d}' for i in range(3)], 'val2014',
              'mask/val2014', 'ImageSets/val.txt', '.jpg', 81, seed=3)


@pytest.mark.parametrize('name,make_data,num_classes', [
    (CAM_VOC, make_voc, 20),
    (CAM_COCO, make_coco, 80),
    (CAM_SHAPES, lambda root: generate(str(root), 4, 2), 6),
])
def test_config_datasets_run_their_pipelines(tmp_path, name, make_data,
                                             num_classes):
    init_default_scope('mmconta')
    make_data(tmp_path)
    cfg = Config.fromfile(str(REPO / f'configs/cam/{name}.py'))
    assert set_data_root(cfg, str(tmp_path)) >= len(LOADERS)
    for loader in LOADERS:
        dataset = DATASETS.build(cfg[loader].dataset)
        sample = dataset[0]['data_samples']
        assert sample.gt_img_labels.shape == (num_classes, ), loader
        assert sample.img_id in sample.img_path
    # Neither scoring nor CAM generation augments; CAMs need the masks.
    assert sample.img_shape == sample.ori_shape
    assert sample.gt_sem_seg.shape == sample.ori_shape


def test_shapes_config_trains_and_validates(tmp_path):
    generate(str(tmp_path / 'data'), 16, 8)
    cfg = Config.fromfile(str(REPO / f'configs/cam/{CAM_SHAPES}.py'))
    set_data_root(cfg, str(tmp_path / 'data'))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    for loader in LOADERS:
        cfg[loader].update(num_workers=0, persistent_workers=False)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert (tmp_path / 'work/epoch_1.pth').is_file()
    # The optimizer gives the head IRN's 10x learning rate.
    head = runner.model.head.classifier.weight
    lrs = {(g['params'][0] is head, round(g['initial_lr'], 6))
           for g in runner.optim_wrapper.param_groups}
    assert lrs == {(True, 1.0), (False, 0.1)}
    assert 0 <= runner.val()['cls/mAP'] <= 100
