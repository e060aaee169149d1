# A CPU-sized CAM network for the synthetic benchmark: IRN's network with a
# thin ResNet-18 (16-128 channels) at output stride 8, trained from scratch.
_base_ = './cam_r50.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        stem_channels=16,
        base_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 1, 1),
        out_indices=(3, ),
        style='pytorch'),
    head=dict(in_channels=128, num_classes=6))
