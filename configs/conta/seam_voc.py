# CONTA on SEAM (the paper's headline, VOC val 66.1): SEAM's CAM network on
# ResNet-38d, AffinityNet's random walk to pseudo-masks, DeepLab-v2 on them,
# 3 rounds.
#   tools/dist_train.sh configs/conta/seam_voc.py 4
_base_ = ['./cam_voc.py']
cls = dict(
    config='{{fileDirname}}/../seam/seam_r38d_1xb8-8e_voc12aug-448x448.py')
refine = dict(
    config='{{fileDirname}}/../seam/'
    'affinitynet_r38d_4xb2-8e_voc12aug-448x448.py')
