# The segmentation stage on MS-COCO 2014: DeepLab-v2 on ResNet-101 on a
# round's pseudo-masks of train (81 classes), 40k iterations of batch 16.
_base_ = [
    '../_base_/models/deeplabv2_r101.py', '../_base_/datasets/coco_seg.py',
    '../_base_/schedules/seg_20k.py'
]
model = dict(decode_head=dict(num_classes=81))
train_cfg = dict(max_iters=40000, val_interval=40000)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=40000,
        by_epoch=False)
]
