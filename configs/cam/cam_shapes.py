# The CAM baseline on the synthetic confounded benchmark, CPU-sized: a thin
# ResNet-18 from scratch (no weights can be downloaded), 96-px crops.
_base_ = [
    '../_base_/models/cam_small.py', '../_base_/datasets/shapes_cls.py',
    '../_base_/schedules/cam_irn_5ep.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor=dict(size=(96, 96)))
# From scratch on 300 images: more epochs than IRN's fine-tuning.
train_cfg = dict(max_epochs=12, val_interval=3)
test_cfg = dict(output_stride=8, batch_size=8)
