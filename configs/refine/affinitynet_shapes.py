# AffinityNet on the synthetic benchmark, CPU-sized: the thin ResNet-18 of
# configs/_base_/models/cam_small.py, trained, whose weights come from the
# round's CAM network (no pretrained weights here; the round loop sets
# load_from to the classifier's checkpoint, whose backbone.* keys this
# backbone shares).
#   python tools/train.py configs/refine/affinitynet_shapes.py \
#       --cfg-options train_dataloader.dataset.pseudo_dir=LABELS \
#       load_from=CLS_CHECKPOINT
_base_ = [
    '../_base_/models/affinitynet_r38.py',
    '../_base_/datasets/shapes_refine.py', '../_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=(96, 96)),
    # cam_small.py's backbone, its stride-8 stages (32, 64, 128 channels)
    # as PSA reads ResNet-38d's stride-8 b4, b5, b7; BN frozen as PSA's.
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        stem_channels=16,
        base_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 1, 1),
        out_indices=(1, 2, 3),
        style='pytorch',
        norm_eval=True),
    in_channels=(32, 64, 128))
# The CAM stage's labels: confident foreground above 0.65, confident
# background below 0.35 around cam_shapes.py's seed threshold 0.5; no CRF.
cam_labels = dict(ignore_band=(0.35, 0.65))
# affinitynet_voc.py's optimiser for 10 epochs of batch 16.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={
        'level_convs': dict(lr_mult=10),
        'fuse': dict(lr_mult=10)
    }))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0,
        by_epoch=True,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10)
