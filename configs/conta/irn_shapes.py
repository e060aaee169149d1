# CONTA on IRN on the synthetic confounded benchmark, CPU-sized: the CAM
# network and IRN's boundary network on the thin ResNet-18, 3 rounds.
#   python tools/train.py configs/conta/irn_shapes.py
_base_ = ['./cam_shapes.py']
# No pretrained weights here: IRN's frozen backbone is the round's CAM
# network's, as IRN's own is a frozen ImageNet ResNet-50.
refine = dict(
    config='{{fileDirname}}/../irn/irn_r18-w16_1xb16-10e_shapes-96x96.py',
    init_from_classifier=True)
