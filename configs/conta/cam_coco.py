# CONTA on MS-COCO 2014 with IRN's CAM network (ResNet-50) and the seg
# stage's DeepLab on the pseudo-masks, 3 rounds.
#   tools/dist_train.sh configs/conta/cam_coco.py 4
_base_ = ['../_base_/conta_runtime.py']
data_root = 'data/coco'
rounds = 3
cls = dict(config='{{fileDirname}}/../cam/cam_r50_4xb4-5e_coco-512x512.py')
seg = dict(
    config='{{fileDirname}}/../seg/deeplabv2_r101-d8_4xb4-40k_coco-512x512.py')
