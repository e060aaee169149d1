# PSA's AffinityNet (jiwoon-ahn/psa network/resnet38_aff.py), as SEAM uses
# it: ResNet-38d at output stride 8 from ImageNet weights, all BN frozen,
# stem and b2 without gradient (PSA's not_training list); b4, b5, b7 (512,
# 1024, 4096 channels) -> 64, 128, 256 -> 448-d features at stride 8.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='AffinityNet',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet38d',
        out_indices=(2, 3, 5),
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        frozen_stages=1,
        # PSA's train_aff.py starts from the ImageNet model, converted as
        # ResNet38d's docstring says; it cannot be downloaded here.
        init_cfg=dict(
            type='Pretrained', checkpoint='pretrain/resnet38d_ilsvrc.pth')),
    in_channels=(512, 1024, 4096),
    level_channels=(64, 128, 256),
    out_channels=448,
    stride=8,
    # PSA's ExtractAffinityLabelInRadius(radius=5).
    train_radius=5,
    # SEAM's infer_aff.py: radius 5, beta 8, logt 6, alpha 6 (PSA: logt 8,
    # alpha 16).
    radius=5,
    beta=8,
    logt=6,
    # Step by step instead of PSA's and SEAM's squarings: the same walk up
    # to float rounding, far cheaper at VOC sizes (configs/_base_/models/
    # irn_r50.py gives the figures).
    squaring=False,
    bg_alpha=6)
