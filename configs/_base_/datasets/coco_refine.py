# Refinement (AffinityNet, IRN) on MS-COCO 2014 train (masks as PNG ids
# 0-80), with VOC's pipelines. COCO images are 640 px on the long side
# (nearly all), so IRN's random scale 0.5-1.5 fits the long side to 640 x r.
_base_ = './voc12aug_refine.py'
data_root = 'data/coco2014'
cam_dir = 'work_dirs/cam_r50_4xb4-5e_coco-512x512/cam'
source = dict(
    type='COCOWSSSDataset',
    data_root=data_root,
    ann_file='ImageSets/train.txt',
    data_prefix=dict(img_path='train2014', seg_map_path='mask/train2014'))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(640, 640),
        ratio_range=(0.5, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='LoadCAM'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    dataset=dict(dataset=source, pipeline=train_pipeline))
test_dataloader = dict(
    dataset=dict(source, cam_dir=cam_dir, pipeline=test_pipeline))
