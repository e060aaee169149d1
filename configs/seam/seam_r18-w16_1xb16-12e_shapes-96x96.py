# SEAM on the synthetic confounded benchmark, CPU-sized: the thin
# ResNet-18 of configs/cam/cam_r18-w16_1xb16-12e_shapes-96x96.py (from
# scratch, 96-px crops) with the PCM on its stride-8 stages 2 and 3 (32 and
# 64 channels) and the classifier on stage 4 (128 channels). Data, schedule
# and seed settings are that CAM config's, so that the two compare like for
# like.
_base_ = [
    '../_base_/models/seam_r38.py', '../_base_/datasets/shapes_cls.py',
    '../_base_/schedules/cam_irn_5ep.py', '../_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=(96, 96)),
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        stem_channels=16,
        base_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 1, 1),
        out_indices=(1, 2, 3),
        style='pytorch'),
    head=dict(in_channels=128, num_classes=6),
    pcm=dict(in_channels=(32, 64)))
# The PCM is new like the classifier: 10x, as SEAM's new layers.
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'pcm': dict(lr_mult=10)}))
train_cfg = dict(max_epochs=12, val_interval=3)
# Background threshold 0.5 as the CAM config (fixed there for every
# method).
test_cfg = dict(output_stride=8, batch_size=8, pseudo_mask=dict(bg_thr=0.5))
test_evaluator = [
    dict(
        type='SeedMetric',
        bg_thr=0.5,
        companions=dict(cross='ring', diamond='circle')),
    dict(type='PseudoMaskMetric')
]
