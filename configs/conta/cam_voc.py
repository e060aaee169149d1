# CONTA on PASCAL VOC 2012 + SBD with IRN's CAM network (ResNet-50) and the
# seg stage's DeepLab on the pseudo-masks, 3 rounds (the paper's best).
#   tools/dist_train.sh configs/conta/cam_voc.py 4
_base_ = ['../_base_/conta_runtime.py']
data_root = 'data/VOCdevkit/VOC2012'
rounds = 3
# CAMs, pseudo-masks and x_m cover the segmentor's training set, train_aug
# (IRN scores seeds on train alone;
# configs/cam/cam_r50_4xb4-5e_voc12aug-512x512.py does that).
cls = dict(
    config='{{fileDirname}}/../cam/cam_r50_4xb4-5e_voc12aug-512x512.py',
    cfg_options={
        'test_dataloader.dataset.ann_file':
        'ImageSets/Segmentation/train_aug.txt',
        'test_dataloader.dataset.data_prefix.seg_map_path':
        'SegmentationClassAug'
    })
seg = dict(
    config='{{fileDirname}}/../seg/'
    'deeplabv2_r101-d8_4xb4-20k_voc12aug-512x512.py')
