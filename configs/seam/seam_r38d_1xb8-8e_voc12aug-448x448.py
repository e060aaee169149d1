# SEAM on VOC 2012 + SBD (YudeWang/SEAM train_SEAM.py): ResNet-38d OS8,
# 8 epochs, batch 8 in one process (SEAM runs one DataParallel batch of 8;
# with N GPUs set train_dataloader.batch_size=8/N: BN is frozen, so only
# the total matters).
_base_ = [
    '../_base_/models/seam_r38.py', '../_base_/datasets/voc12aug_cls.py',
    '../_base_/datasets/seam_aug.py', '../_base_/schedules/seam_8ep.py',
    '../_base_/default_runtime.py'
]
train_dataloader = dict(
    batch_size=8, dataset=dict(pipeline={{_base_.seam_train_pipeline}}))
model = dict(data_preprocessor=dict(size={{_base_.seam_crop_size}}))
test_cfg = dict(output_stride=8)
auto_scale_lr = dict(enable=False, base_batch_size=8)
