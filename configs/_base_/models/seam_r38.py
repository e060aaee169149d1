# SEAM's network (YudeWang/SEAM network/resnet38_SEAM.py): ResNet-38d at
# output stride 8, all BN frozen, stem and b2 without gradient (its
# not_training list), a bias-free 1x1 classifier on b7 (4096 channels) and
# the pixel correlation module on b4 (512) and b5 (1024), i.e. SEAM's
# conv4 and conv5 (backbone outputs 0 and 1 of out_indices (2, 3, 5)).
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='SEAMClassifier',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet38d',
        out_indices=(2, 3, 5),
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        frozen_stages=1,
        # SEAM starts from the MXNet ImageNet model
        # ilsvrc-cls_rna-a1_cls1000_ep-0001.params, which cannot be
        # downloaded as a PyTorch file: tools/model_converters/
        # resnet38d_mxnet2mmconta.py converts it to this path
        # (docs/user_guides/pretrained_weights.md).
        init_cfg=dict(
            type='Pretrained', checkpoint='pretrain/resnet38d_ilsvrc.pth')),
    head=dict(type='CAMHead', in_channels=4096, num_classes=20),
    pcm=dict(
        type='PixelCorrelationModule',
        in_indices=(0, 1),
        in_channels=(512, 1024),
        channels=(64, 128),
        out_channels=192),
    feature_index=-1,
    # train_SEAM.py: second view at 0.3x; all loss weights 1; ECR on the
    # top 20% errors; min-pooling of the lowest 25% of the PCM output.
    view_scale=0.3,
    er_weight=1.0,
    ecr_weight=1.0,
    ecr_topk=0.2,
    rvmin_weight=1.0,
    rvmin_ratio=0.25)
