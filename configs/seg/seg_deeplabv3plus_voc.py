# The segmentation stage on VOC 2012 with mmseg's DeepLab-v3+ instead of the
# paper's DeepLab-v2 (seg_voc.py's data and schedule). In a round loop:
#   seg = dict(config='{{fileDirname}}/../seg/seg_deeplabv3plus_voc.py')
_base_ = [
    '../_base_/models/deeplabv3plus_r101.py',
    '../_base_/datasets/voc12aug_seg.py', '../_base_/schedules/seg_20k.py'
]
