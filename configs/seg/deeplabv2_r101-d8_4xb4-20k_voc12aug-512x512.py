# The segmentation stage on VOC 2012: DeepLab-v2 on ResNet-101 (the paper's
# model; '../_base_/models/deeplabv3_r101.py' swaps in mmseg's DeepLab-v3)
# on a round's pseudo-masks of train_aug, 20k iterations of batch 16
# (4 GPUs x 4).
_base_ = [
    '../_base_/models/deeplabv2_r101.py', '../_base_/datasets/voc12aug_seg.py',
    '../_base_/schedules/seg_20k.py'
]
