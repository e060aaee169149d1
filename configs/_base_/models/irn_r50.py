# IRN's inter-pixel relation network (jiwoon-ahn/irn net/resnet50_irn.py):
# a frozen ImageNet ResNet-50 (IRN's strides (2, 2, 2, 1) with the stem are
# mmseg's (1, 2, 2, 1): layer1-4 at strides 4, 8, 16, 16), its four stages
# feeding a boundary branch and a displacement branch at stride 4.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='IRNet',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1),
        out_indices=(0, 1, 2, 3),
        style='pytorch',
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    in_channels=(256, 512, 1024, 2048),
    edge_channels=32,
    disp_channels=(128, 256, 256, 256),
    disp_fuse_channels=256,
    # IRN trains its branches only.
    freeze_backbone=True,
    stride=4,
    # run_sample.py: path radius 10 for training; the walk of
    # make_sem_seg_labels.py at radius 5, beta 10, exp_times 8 (logt),
    # sem_seg_bg_thres 0.25, boundary of the image and its flip.
    train_radius=10,
    radius=5,
    beta=10,
    logt=8,
    # Walk the CAMs one step at a time (2**logt products with T) instead of
    # squaring T logt times as the references do: the same walk up to float
    # rounding, O(2**logt K N^2) instead of O(logt N^3) and one N x N matrix
    # instead of three. A 500x375 image at stride 4 (N = 11,750): 35 s
    # against 514 s on one CPU thread, peak RSS 1.8 against 2.4 GB, labels
    # identical (docs/results/dry_run.md).
    squaring=False,
    bg_thr=0.25,
    flip=True)
