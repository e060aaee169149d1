# CONTA on SEAM for MS-COCO 2014: SEAM's CAM network on ResNet-38d,
# AffinityNet's random walk, DeepLab-v2, 3 rounds.
#   tools/dist_train.sh configs/conta/seam_coco.py 4
_base_ = ['./cam_coco.py']
cls = dict(config='{{fileDirname}}/../seam/seam_r38d_1xb8-8e_coco-448x448.py')
refine = dict(
    config='{{fileDirname}}/../seam/affinitynet_r38d_4xb2-8e_coco-448x448.py')
