# IRN's CAM schedule (run_sample.py): SGD, lr 0.1 with the classifier at
# 10x, weight decay 1e-4, poly 0.9, 5 epochs of batch 16.
# IRN's PolyOptimizer passes weight decay positionally into SGD, so its
# actual momentum was 1e-4 (none, in effect); we use the intended 0.9.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10)}))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0,
        by_epoch=True,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=5, val_interval=1)
val_cfg = dict(type='ValLoop')
# IRN's make_cam.py and eval_cam.py: scales 1, 0.5, 1.5, 2 with flips,
# seeds and pseudo-masks at cam_eval_thres 0.15.
test_cfg = dict(
    type='CAMGenerationLoop',
    scales=(1.0, 0.5, 1.5, 2.0),
    flip=True,
    pseudo_mask=dict(bg_thr=0.15))
test_evaluator = [
    dict(type='SeedMetric', bg_thr=0.15),
    dict(type='PseudoMaskMetric')
]
