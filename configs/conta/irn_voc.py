# CONTA on IRN for PASCAL VOC 2012 + SBD: IRN's CAM network (ResNet-50), its
# boundary network's random walk to pseudo-masks, DeepLab-v2, 3 rounds.
#   tools/dist_train.sh configs/conta/irn_voc.py 4
_base_ = ['./cam_voc.py']
refine = dict(
    config='{{fileDirname}}/../irn/irn_r50_4xb8-3e_voc12aug-512x512.py')
