# IRN's relation-network schedule (run_sample.py): SGD, lr 0.1 for both
# branches, weight decay 1e-4, poly 0.9, 3 epochs of batch 32. IRN's
# PolyOptimizer passes weight decay positionally into SGD (momentum 1e-4 in
# effect); we use momentum 0.9, as cam_irn_5ep.py does.
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
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3)
auto_scale_lr = dict(enable=False, base_batch_size=32)
