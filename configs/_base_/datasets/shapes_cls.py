# The synthetic confounded benchmark of
# tools/dataset_converters/make_confounded_shapes.py (112-px images).
dataset_type = 'FolderWSSSDataset'
data_root = 'data/confounded_shapes'
crop_size = (96, 96)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    # x_m from round 1 on (the round loop sets the dataset's prev_mask_dir).
    dict(type='LoadPreviousMask'),
    # The mask where the split has one, for RecomputeImageLabels; a split
    # of image-level labels only (LabelFileWSSSDataset) trains without.
    dict(type='LoadOptionalAnnotations'),
    # CDA's pasted copy (intervention='cda' or 'both', rounds t >= 1: the
    # round loop gives the dataset an instance bank); otherwise the
    # transforms below run once, as listed.
    dict(
        type='PasteInstances',
        pipeline=[
            dict(
                type='RandomResize',
                scale=(112, 112),
                ratio_range=(0.9, 1.2),
                keep_ratio=True),
            dict(type='RandomCrop', crop_size=crop_size),
            dict(type='RandomFlip', prob=0.5),
            dict(type='RecomputeImageLabels'),
            dict(type='PackWSSSInputs'),
        ]),
]
val_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackWSSSInputs')]
# CAM generation (batch_size=1: CAMGenerationLoop makes its own batches):
# every train image at its own size, with its ground truth
# and context map for the seed metrics (never used for training).
cam_pipeline = [
    dict(type='LoadImageFromFile'),
    # x_m from round 1 on (the round loop sets the dataset's prev_mask_dir).
    dict(type='LoadPreviousMask'),
    dict(type='LoadOptionalAnnotations'),
    dict(type='LoadContextMap'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    # Workers restarted each epoch are reseeded by mmengine, so a resumed
    # epoch draws the same augmentations (EpochSeedHook).
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        img_suffix='auto',  # .png (easy mode) or .jpg (hard mode)
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        img_suffix='auto',  # .png (easy mode) or .jpg (hard mode)
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        img_suffix='auto',  # .png (easy mode) or .jpg (hard mode)
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(
            img_path='JPEGImages',
            seg_map_path='SegmentationClass',
            context_path='ContextMaps'),
        pipeline=cam_pipeline))
val_evaluator = dict(type='MultiLabelMAP')
