# IRN's CAM baseline on MS-COCO 2014 (80 classes), with VOC's recipe.
_base_ = [
    '../_base_/models/cam_r50.py', '../_base_/datasets/coco_cls.py',
    '../_base_/schedules/cam_irn_5ep.py', '../_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=(512, 512)), head=dict(num_classes=80))
