# Refinement (AffinityNet, IRN) on VOC 2012 + SBD: train on the CAM stage's
# affinity labels of train_aug (PseudoLabelDataset: 0 background, k + 1
# class k, 255 unsure), then walk every train_aug image's CAM to a
# pseudo-mask (MaskPredictionLoop), scored where ground truth exists. No
# validation: the refiner's product is the masks.
data_root = 'data/VOCdevkit/VOC2012'
# The affinity labels; the round loop sets round_<t>/cam_labels.
pseudo_dir = 'work_dirs/refine_labels'
# The CAM files (<img_id>.npz) that LoadCAM reads; the round loop sets
# round_<t>/cam.
cam_dir = 'work_dirs/cam_r50_4xb4-5e_voc12aug-512x512/cam'
# IRN's step/train_irn.py: random scale 0.5-1.5, flip, random crop 512
# (padded by the data preprocessor). VOC images are 500 px on the long
# side (nearly all), so fitting the long side to 500 x r is IRN's scaling.
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(500, 500),
        ratio_range=(0.5, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
# PSA's train_aff.py (AffinityNet configs use this one): resize the long
# side to 448-768 (768 x r, r uniform in 0.583-1), flip, colour jitter
# (brightness, contrast, saturation 0.3, hue 0.1: mmseg's distortion with
# matching ranges; its brightness is additive, +-32 of 255), crop 448.
psa_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(768, 768),
        ratio_range=(448 / 768, 1.0),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='PhotoMetricDistortion',
        brightness_delta=32,
        contrast_range=(0.7, 1.3),
        saturation_range=(0.7, 1.3),
        hue_delta=18),
    dict(type='RandomCrop', crop_size=(448, 448)),
    dict(type='PackWSSSInputs'),
]
# Every image at its own size: LoadCAM's CAMs are neither resized nor
# cropped.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='LoadCAM'),
    dict(type='PackWSSSInputs'),
]
source = dict(
    type='VOCWSSSDataset',
    data_root=data_root,
    ann_file='ImageSets/Segmentation/train_aug.txt')
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
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
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(source, cam_dir=cam_dir, pipeline=test_pipeline))
test_cfg = dict(type='MaskPredictionLoop')
test_evaluator = dict(type='PseudoMaskMetric')
