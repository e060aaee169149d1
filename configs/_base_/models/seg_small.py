# A CPU-sized segmentor for the synthetic benchmark: mmseg's EncoderDecoder
# with a thin dilated ResNet-18 (output stride 8) and an ASPP head. The
# backbone is the CAM network's (configs/_base_/models/cam_small.py) but for
# its dilations, so the round loop can start it from the round's classifier
# (seg.init_from_classifier): there are no pretrained weights here.
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255),
    backbone=dict(
        type='ResNet',
        depth=18,
        stem_channels=16,
        base_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        out_indices=(3, ),
        style='pytorch',
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='ASPPHead',
        in_channels=128,
        in_index=0,
        channels=64,
        dilations=(1, 6, 12, 18),
        dropout_ratio=0.1,
        num_classes=7,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
