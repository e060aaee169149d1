# The segmentation stage on VOC 2012 with mmseg's DeepLab-v3+ instead of the
# paper's DeepLab-v2 (the data and schedule of
# deeplabv2_r101-d8_4xb4-20k_voc12aug-512x512.py). In a round loop:
#   seg = dict(config='{{fileDirname}}/../seg/'
#              'deeplabv3plus_r101-d8_4xb4-20k_voc12aug-512x512.py')
_base_ = [
    '../_base_/models/deeplabv3plus_r101.py',
    '../_base_/datasets/voc12aug_seg.py', '../_base_/schedules/seg_20k.py'
]
