# The CAM baseline on the synthetic confounded benchmark, CPU-sized: a thin
# ResNet-18 from scratch (no weights can be downloaded), 96-px crops.
_base_ = [
    '../_base_/models/cam_small.py', '../_base_/datasets/shapes_cls.py',
    '../_base_/schedules/cam_irn_5ep.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor=dict(size=(96, 96)))
# From scratch on 300 images: more epochs than IRN's fine-tuning.
train_cfg = dict(max_epochs=12, val_interval=3)
# Seeds and pseudo-masks at background threshold 0.5, not IRN's 0.15: this
# small network's CAMs are wide, and the seed sweep of round 0 (seed 0,
# P = 0.9) is flat from 0.5 to 0.65 (peak 0.6) and 40 points lower at 0.15.
# Fixed once for every seed, set and round.
test_cfg = dict(output_stride=8, batch_size=8, pseudo_mask=dict(bg_thr=0.5))
test_evaluator = [
    # companions: the generator's COMPANIONS (--cooccurrence); the share is
    # reported on every shapes set, the control included.
    dict(
        type='SeedMetric',
        bg_thr=0.5,
        companions=dict(cross='ring', diamond='circle')),
    dict(type='PseudoMaskMetric')
]
