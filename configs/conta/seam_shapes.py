# CONTA on SEAM on the synthetic confounded benchmark, CPU-sized: SEAM's CAM
# network and AffinityNet on the thin ResNet-18, 3 rounds.
#   python tools/train.py configs/conta/seam_shapes.py
_base_ = ['./cam_shapes.py']
cls = dict(config='{{fileDirname}}/../seam/seam_shapes.py')
# No pretrained weights here: AffinityNet starts from the round's SEAM
# network (its backbone), as IRN's and PSA's start from ImageNet.
refine = dict(
    config='{{fileDirname}}/../refine/affinitynet_shapes.py',
    init_from_classifier=True)
