# Refinement (AffinityNet, IRN) on the synthetic benchmark: train on the CAM
# stage's affinity labels of the train split (PseudoLabelDataset: 0
# background, k + 1 class k, 255 unsure), then walk every training image's
# CAM to a pseudo-mask (MaskPredictionLoop), scored against its ground
# truth. No validation: the refiner's product is the masks.
data_root = 'data/confounded_shapes'
# The affinity labels; the round loop sets round_<t>/cam_labels.
pseudo_dir = 'work_dirs/refine_labels'
# The CAM files (<img_id>.npz) that LoadCAM reads; the round loop sets
# round_<t>/cam.
cam_dir = 'work_dirs/cam_r18-w16_1xb16-12e_shapes-96x96/cam'
crop_size = (96, 96)
# The scale range of shapes_cls.py: the CAMs were learnt at about 1x.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(112, 112),
        ratio_range=(0.9, 1.2),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
# Every image at its own size: LoadCAM's CAMs are neither resized nor
# cropped.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadOptionalAnnotations'),
    dict(type='LoadCAM'),
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
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(source, cam_dir=cam_dir, pipeline=test_pipeline))
test_cfg = dict(type='MaskPredictionLoop')
test_evaluator = dict(type='PseudoMaskMetric')
