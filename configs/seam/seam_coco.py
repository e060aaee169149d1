# SEAM on MS-COCO 2014 (80 classes), with VOC's recipe (configs/seam/
# seam_voc.py): SEAM itself was released for VOC only.
_base_ = [
    '../_base_/models/seam_r38.py', '../_base_/datasets/coco_cls.py',
    '../_base_/schedules/seam_8ep.py', '../_base_/default_runtime.py'
]
crop_size = (448, 448)
# SEAM's augmentation, as seam_voc.py.
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
model = dict(
    data_preprocessor=dict(size=crop_size), head=dict(num_classes=80))
test_cfg = dict(output_stride=8)
auto_scale_lr = dict(enable=False, base_batch_size=8)
