"""CONTA's rounds on images with image-level labels only: the training
split has no mask, the class count comes from the class list, and the
masks of a masked copy never reach training."""
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from round_loop import REPO, SMALL, done, make_shapes, pngs, summary, train

CAM_CUSTOM = 'configs/cam/cam_r18-w16_1xb16-12e_custom-96x96.py'


def labels_only_copy(shapes: Path, root: Path, extra_class: str = None,
                     train_masks: bool = False) -> Path:
    """The synthetic set in LabelFileWSSSDataset's layout: train.csv from
    the masks (which stay behind unless ``train_masks``), val.csv with the
    val masks; ``extra_class`` appended to the class list."""
    classes = (shapes / 'class_names.txt').read_text().split()
    if extra_class:
        classes.append(extra_class)
    (root / 'masks').mkdir(parents=True)
    shutil.copytree(shapes / 'JPEGImages', root / 'images')
    for split in ('train', 'val'):
        ids = (shapes / f'ImageSets/Segmentation/{split}.txt').read_text()
        rows = ['image,labels']
        for img_id in ids.split():
            mask_file = shapes / 'SegmentationClass' / f'{img_id}.png'
            ids_present = np.unique(np.asarray(Image.open(mask_file)))
            rows.append(img_id + ',' + '|'.join(
                classes[k] for k in ids_present if 0 < k < 255))
            if split == 'val' or train_masks:
                shutil.copyfile(mask_file, root / 'masks' / f'{img_id}.png')
        (root / f'{split}.csv').write_text('\n'.join(rows) + '\n')
    (root / 'class_names.txt').write_text('\n'.join(classes) + '\n')
    return root


def write_config(path: Path, data_root: Path, rounds: int,
                 cls_options: dict = None, extra: str = '') -> Path:
    """configs/conta/cam_custom.py, one epoch a stage."""
    path.write_text(
        f'_base_ = [{str(REPO / "configs/conta/cam_custom.py")!r}]\n'
        f'data_root = {str(data_root)!r}\n'
        f'rounds = {rounds}\n'
        f'cls = dict(cfg_options={dict(SMALL, **(cls_options or {}))!r})\n'
        f'seg = dict(cfg_options={SMALL!r})\n' + extra)
    return path


@pytest.fixture(scope='module')
def shapes(tmp_path_factory):
    return make_shapes(tmp_path_factory.mktemp('shapes'))


def test_two_rounds_on_labels_only_with_the_class_list_count(
        shapes, tmp_path):
    # One class no image shows: the models get 7 foreground classes from
    # the class list where the synthetic configs say 6.
    data = labels_only_copy(shapes, tmp_path / 'data', extra_class='star')
    work = tmp_path / 'work'
    train(write_config(tmp_path / 'conta.py', data, rounds=2), work)
    rows = summary(work)
    assert [r['round'] for r in rows] == [0, 1]
    for row in rows:
        # No ground truth on the training split: no seed, mask or train
        # figures; the segmentor validates on the val masks.
        assert row['seed_miou'] is None and row['mask_miou'] is None
        assert row['seg_train_miou'] is None
        assert row['seg_val_miou'] is not None
    assert done(work, 0, 'cam')['metrics'] == {}
    for t in (0, 1):
        assert len(pngs(work / f'round_{t}/pseudo')) == 12
        assert len(pngs(work / f'round_{t}/seg_train')) == 12
    cls = torch.load(next((work / 'round_1/cls').glob('epoch_*.pth')),
                     map_location='cpu', weights_only=False)['state_dict']
    seg = torch.load(next((work / 'round_0/seg').glob('epoch_*.pth')),
                     map_location='cpu', weights_only=False)['state_dict']
    assert cls['head.classifier.weight'].shape[0] == 7
    assert seg['decode_head.conv_seg.weight'].shape[0] == 8
    with np.load(work / 'round_0/bank/confounder_bank.npz') as bank:
        assert bank['confounders'].shape[0] == 7


def test_masks_never_reach_training(shapes, tmp_path):
    """Round 0's pseudo-masks from the labels-only copy equal those from
    the same images read with their masks (RecomputeImageLabels, which
    follows crops with the masks, is off in both)."""
    stage = Config.fromfile(REPO / CAM_CUSTOM)
    pipeline = stage.train_dataloader.dataset.pipeline
    paste = pipeline[-1]
    assert paste['type'] == 'PasteInstances'
    paste['pipeline'] = [t for t in paste['pipeline']
                         if t['type'] != 'RecomputeImageLabels']
    options = {'train_dataloader.dataset.pipeline': pipeline}
    work = {}
    for masked in (False, True):
        data = labels_only_copy(shapes, tmp_path / f'data{masked}',
                                train_masks=masked)
        if masked:
            prefix = dict(img_path='images', seg_map_path='masks')
            options.update({
                'train_dataloader.dataset.data_prefix': prefix,
                'test_dataloader.dataset.data_prefix': prefix})
        work[masked] = tmp_path / f'work{masked}'
        train(write_config(tmp_path / f'conta{masked}.py', data, rounds=1,
                           cls_options=options,
                           extra='stop_after = "cam"\n'), work[masked])
    labels_only, with_masks = (pngs(work[m] / 'round_0/pseudo')
                               for m in (False, True))
    assert len(labels_only) == 12 and labels_only == with_masks
    assert done(work[False], 0, 'cam')['metrics'] == {}
    assert 'seed/mIoU' in done(work[True], 0, 'cam')['metrics']


def test_without_any_mask_the_segmentor_trains_unvalidated(shapes, tmp_path):
    """No split has masks: the seg stage's validation is switched off, as
    docs/user_guides/custom_data.md says, and the round still ends."""
    data = labels_only_copy(shapes, tmp_path / 'data')
    work = tmp_path / 'work'
    seg = {k: v for k, v in SMALL.items() if not k.startswith('val_')}
    seg.update(val_dataloader=None, val_cfg=None, val_evaluator=None)
    train(write_config(
        tmp_path / 'conta.py', data, rounds=1,
        extra=f'seg = dict(cfg_options={seg!r})\n'
        "stop_after = 'seg'\n"), work)
    assert done(work, 0, 'seg')['metrics'] == {}
    assert summary(work)[0]['seg_val_miou'] is None
