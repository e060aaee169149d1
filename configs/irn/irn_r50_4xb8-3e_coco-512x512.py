# IRN's inter-pixel relation network on MS-COCO 2014 train, with VOC's
# recipe (configs/irn/irn_r50_4xb8-3e_voc12aug-512x512.py), batch 32
# (4 GPUs x 8):
#   tools/dist_train.sh configs/irn/irn_r50_4xb8-3e_coco-512x512.py 4
_base_ = [
    '../_base_/models/irn_r50.py', '../_base_/datasets/coco_refine.py',
    '../_base_/schedules/irn_3ep.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor=dict(size=(512, 512)))
# IRN's step/cam_to_ir_label.py thresholds (see the VOC config).
cam_labels = dict(ignore_band=(0.05, 0.30), crf=dict())
