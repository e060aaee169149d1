# mmseg's DeepLab-v3+ (depthwise-separable ASPP + low-level decoder) on the
# dilated ResNet-101 of deeplabv3_r101.py: the option beside the paper's
# DeepLab-v2. The backbone also returns stage 1 (256 channels, stride 4)
# for the decoder.
_base_ = './deeplabv3_r101.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(out_indices=(0, 3)),
    decode_head=dict(
        _delete_=True,
        type='DepthwiseSeparableASPPHead',
        in_channels=2048,
        in_index=1,
        channels=512,
        dilations=(1, 12, 24, 36),
        c1_in_channels=256,
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
