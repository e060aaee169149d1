# IRN's CAM baseline on VOC 2012 + SBD: ResNet-50 OS16, 5 epochs, batch 16
# (4 GPUs x 4):
#   tools/dist_train.sh configs/cam/cam_r50_4xb4-5e_voc12aug-512x512.py 4
_base_ = [
    '../_base_/models/cam_r50.py', '../_base_/datasets/voc12aug_cls.py',
    '../_base_/schedules/cam_irn_5ep.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor=dict(size=(512, 512)))
auto_scale_lr = dict(enable=False, base_batch_size=16)
