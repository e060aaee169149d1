# IRN's inter-pixel relation network on VOC 2012 + SBD (run_sample.py):
# trained on the CAMs' confident labels, then the random walk of every
# train_aug image's CAM to a pseudo-mask. Batch 32 (4 GPUs x 8):
#   tools/dist_train.sh configs/irn/irn_r50_4xb8-3e_voc12aug-512x512.py 4
_base_ = [
    '../_base_/models/irn_r50.py', '../_base_/datasets/voc12aug_refine.py',
    '../_base_/schedules/irn_3ep.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor=dict(size=(512, 512)))
# The CAM stage's labels for this network (step/cam_to_ir_label.py):
# confident foreground at conf_fg_thres 0.30, confident background at
# conf_bg_thres 0.05, both refined by IRN's dense CRF; between them 255.
cam_labels = dict(ignore_band=(0.05, 0.30), crf=dict())
