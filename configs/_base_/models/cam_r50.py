# IRN's CAM network (jiwoon-ahn/irn net/resnet50_cam.py): ResNet-50 at
# output stride 16, all BN frozen, stem + stages 1-2 without gradient (IRN
# detaches after stage 2), GAP and a bias-free 1x1 classifier.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='CAMClassifier',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1),
        out_indices=(3, ),
        style='pytorch',
        norm_eval=True,
        frozen_stages=2,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    head=dict(type='CAMHead', in_channels=2048, num_classes=20))
