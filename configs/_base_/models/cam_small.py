# A CPU-sized CAM network for the synthetic benchmark: a thin ResNet-18
# (16-128 channels) at output stride 8, trained from scratch.
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
        depth=18,
        stem_channels=16,
        base_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 1, 1),
        out_indices=(3, ),
        style='pytorch'),
    head=dict(type='CAMHead', in_channels=128, num_classes=6))
