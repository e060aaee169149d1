# PASCAL VOC 2012 + SBD for the CAM classifier, with IRN's augmentation
# (step/train_cam.py: resize_long=(320, 640), flip, random crop 512).
# Seeds are made and scored on VOC's own 1,464-image train split, as IRN
# reports them.
dataset_type = 'VOCWSSSDataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    # x_m from round 1 on (the round loop sets the dataset's prev_mask_dir).
    dict(type='LoadPreviousMask'),
    dict(type='LoadAnnotations'),
    # CDA's pasted copy (intervention='cda' or 'both', rounds t >= 1: the
    # round loop gives the dataset an instance bank); otherwise the
    # transforms below run once, as listed.
    dict(
        type='PasteInstances',
        pipeline=[
            # keep_ratio fits the long side to 512 x r: r in 0.625-1.25 is
            # IRN's long side of 320-640 pixels.
            dict(
                type='RandomResize',
                scale=(512, 512),
                ratio_range=(0.625, 1.25),
                keep_ratio=True),
            # Smaller images are padded to 512 by the data preprocessor, as
            # IRN pads its crops. IRN keeps the image's labels after the
            # crop; so do we.
            dict(type='RandomCrop', crop_size=crop_size),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackWSSSInputs'),
        ]),
]
# Labels come with the data info; no mask is needed to score the classifier.
val_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackWSSSInputs')]
# CAM generation: every image at its own size with its ground truth, for the
# seed metrics only (never used for training).
cam_pipeline = [
    dict(type='LoadImageFromFile'),
    # x_m from round 1 on (the round loop sets the dataset's prev_mask_dir).
    dict(type='LoadPreviousMask'),
    dict(type='LoadAnnotations'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        drop_no_fg=True,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        pipeline=val_pipeline))
# batch_size=1: CAMGenerationLoop groups images by size into its own batches.
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        pipeline=cam_pipeline))
val_evaluator = dict(type='MultiLabelMAP')
