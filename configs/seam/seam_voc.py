# SEAM on VOC 2012 + SBD (YudeWang/SEAM train_SEAM.py): ResNet-38d OS8,
# 8 epochs, batch 8 in one process (SEAM runs one DataParallel batch of 8;
# with N GPUs set train_dataloader.batch_size=8/N: BN is frozen, so only
# the total matters).
_base_ = [
    '../_base_/models/seam_r38.py', '../_base_/datasets/voc12aug_cls.py',
    '../_base_/schedules/seam_8ep.py', '../_base_/default_runtime.py'
]
crop_size = (448, 448)
# SEAM's augmentation: long side 448-768 (RandomResizeLong), flip, colour
# jitter, random crop 448 (smaller images padded by the data preprocessor).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(448, 448),
        ratio_range=(1.0, 768 / 448),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    # SEAM's ColorJitter also shifts hue by up to 0.1; mmcv 2.1's
    # adjust_hue overflows under numpy 2 for negative shifts, so no hue.
    dict(
        type='mmpretrain.ColorJitter',
        brightness=0.3,
        contrast=0.3,
        saturation=0.3),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
model = dict(data_preprocessor=dict(size=crop_size))
test_cfg = dict(output_stride=8)
auto_scale_lr = dict(enable=False, base_batch_size=8)
