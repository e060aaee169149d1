# Segmentation on the synthetic benchmark: train on a round's pseudo-masks
# (PseudoLabelDataset, 255 = ignore), validate on the ground truth of val.
data_root = 'data/confounded_shapes'
# The pseudo-masks of a CAM run (the test loop of
# configs/cam/cam_r18-w16_1xb16-12e_shapes-96x96.py).
pseudo_dir = 'work_dirs/cam_r18-w16_1xb16-12e_shapes-96x96/pseudo'
crop_size = (96, 96)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(112, 112),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadOptionalAnnotations'),
    dict(type='PackWSSSInputs'),
]
source = dict(
    type='FolderWSSSDataset',
    data_root=data_root,
    img_suffix='auto',  # .png (easy mode) or .jpg (hard mode)
    ann_file='ImageSets/Segmentation/train.txt')
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    # Workers restarted each epoch are reseeded by mmengine, so a resumed
    # epoch draws the same augmentations (EpochSeedHook).
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PseudoLabelDataset',
        dataset=source,
        pseudo_dir=pseudo_dir,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        source, ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
