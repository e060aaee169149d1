# CONTA on SEAM (the paper's headline, VOC val 66.1): SEAM's CAM network on
# ResNet-38d, AffinityNet's random walk to pseudo-masks, DeepLab-v2 on them,
# 3 rounds.
#   tools/dist_train.sh configs/conta/seam_voc.py 4
_base_ = ['./cam_voc.py']
cls = dict(config='{{fileDirname}}/../seam/seam_voc.py')
refine = dict(config='{{fileDirname}}/../refine/affinitynet_voc.py')
