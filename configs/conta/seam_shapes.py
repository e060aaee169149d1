# CONTA on SEAM on the synthetic confounded benchmark, CPU-sized: SEAM's CAM
# network and AffinityNet on the thin ResNet-18, 3 rounds.
#   python tools/train.py configs/conta/seam_shapes.py
_base_ = ['./cam_shapes.py']
cls = dict(
    config='{{fileDirname}}/../seam/seam_r18-w16_1xb16-12e_shapes-96x96.py')
# No pretrained weights here: AffinityNet starts from the round's SEAM
# network (its backbone), as IRN's and PSA's start from ImageNet.
refine = dict(
    config='{{fileDirname}}/../seam/'
    'affinitynet_r18-w16_1xb16-10e_shapes-96x96.py',
    init_from_classifier=True)
