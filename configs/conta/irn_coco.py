# CONTA on IRN for MS-COCO 2014 (the paper's COCO result, val 33.4): IRN's
# CAM network (ResNet-50), its boundary network's random walk, DeepLab-v2,
# 3 rounds.
#   tools/dist_train.sh configs/conta/irn_coco.py 4
_base_ = ['./cam_coco.py']
refine = dict(
    config='{{fileDirname}}/../irn/irn_r50_4xb8-3e_coco-512x512.py')
