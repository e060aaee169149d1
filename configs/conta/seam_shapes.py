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
# The refined masks hold thin and small classes in few pixels, and mmseg's
# cross-entropy lets the segmentor drop them (0 train IoU on 2 of 3 IRN sets
# per mode); the class-balanced loss kept every class on both modes x 3
# data seeds, at -2.4 to -3.0 val mIoU on the easy mode and +2.0 to +6.6 on
# the hard one (docs/results/baselines.md). The CAM loop keeps
# cross-entropy: it drops no class, and there the loss costs 3.6 points.
seg = dict(
    cfg_options=dict(
        model=dict(
            decode_head=dict(
                loss_decode=dict(type='ClassBalancedCrossEntropyLoss')))))
