# SEAM's schedule (train_SEAM.py): SGD, lr 0.01, weight decay 5e-4, poly
# 0.9, 8 epochs of batch 8. Its new layers (classifier and PCM, all
# bias-free) learn at 10x; the 2x/20x groups hold biases, of which there
# are none.
# SEAM's PolyOptimizer (tool/torchutils.py) passes weight decay
# positionally into SGD, so its actual momentum was 5e-4 (none, in effect)
# and its momentum=0.9 argument is the poly power; we use momentum 0.9, as
# configs/_base_/schedules/cam_irn_5ep.py does for IRN's same slip.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(
        custom_keys={
            'head': dict(lr_mult=10),
            'pcm': dict(lr_mult=10)
        }))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0,
        by_epoch=True,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8, val_interval=1)
val_cfg = dict(type='ValLoop')
# SEAM's infer_SEAM.py: the PCM output at scales 0.5, 1, 1.5, 2 with
# flips, background score out_cam_pred_alpha = 0.26 for seeds and
# pseudo-masks. It min-max normalises the summed CAMs, CAMGenerationLoop
# divides by the maximum (see SEAMClassifier).
test_cfg = dict(
    type='CAMGenerationLoop',
    scales=(1.0, 0.5, 1.5, 2.0),
    flip=True,
    pseudo_mask=dict(bg_thr=0.26))
test_evaluator = [
    dict(type='SeedMetric', bg_thr=0.26),
    dict(type='PseudoMaskMetric')
]
