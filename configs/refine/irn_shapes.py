# IRN's inter-pixel relation network on the synthetic benchmark, CPU-sized:
# the thin ResNet-18 of configs/_base_/models/cam_small.py, frozen, whose
# weights come from the round's CAM network (no pretrained weights here;
# the round loop sets load_from to the classifier's checkpoint, whose
# backbone.* keys this backbone shares).
#   python tools/train.py configs/refine/irn_shapes.py \
#       --cfg-options train_dataloader.dataset.pseudo_dir=LABELS \
#       load_from=CLS_CHECKPOINT
_base_ = [
    '../_base_/models/irn_r50.py', '../_base_/datasets/shapes_refine.py',
    '../_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=(96, 96)),
    # cam_small.py's backbone, all four stages: 16, 32, 64, 128 channels at
    # strides 4, 8, 8, 8.
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        stem_channels=16,
        base_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 1, 1),
        out_indices=(0, 1, 2, 3),
        style='pytorch',
        norm_eval=True),
    in_channels=(16, 32, 64, 128),
    disp_channels=(32, 64, 64, 64),
    disp_fuse_channels=64)
# The CAM stage's labels: confident foreground above 0.65, confident
# background below 0.35 around cam_shapes.py's seed threshold 0.5; no CRF.
cam_labels = dict(ignore_band=(0.35, 0.65))
# IRN's optimiser (irn_voc.py) for 10 epochs of batch 16: 300 images give
# 19 steps an epoch, against IRN's ~330.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0,
        by_epoch=True,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10)
