# AffinityNet's schedule (notes/method.md, SEAM's train_aff.py): SGD, lr
# 0.01, weight decay 5e-4, poly 0.9, 8 epochs of batch 8; the new layers
# (all bias-free) at 10x, as PSA's from_scratch_layers. PSA's PolyOptimizer
# passes weight decay positionally into SGD (momentum 5e-4 in effect); we
# use 0.9, as cam_irn_5ep.py does.
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
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8)
auto_scale_lr = dict(enable=False, base_batch_size=8)
