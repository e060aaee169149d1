# SEAM on MS-COCO 2014 (80 classes), with VOC's recipe (configs/seam/
# seam_r38d_1xb8-8e_voc12aug-448x448.py): SEAM itself was released for VOC
# only.
_base_ = [
    '../_base_/models/seam_r38.py', '../_base_/datasets/coco_cls.py',
    '../_base_/datasets/seam_aug.py', '../_base_/schedules/seam_8ep.py',
    '../_base_/default_runtime.py'
]
train_dataloader = dict(
    batch_size=8, dataset=dict(pipeline={{_base_.seam_train_pipeline}}))
model = dict(
    data_preprocessor=dict(size={{_base_.seam_crop_size}}),
    head=dict(num_classes=80))
test_cfg = dict(output_stride=8)
auto_scale_lr = dict(enable=False, base_batch_size=8)
