# AffinityNet on MS-COCO 2014 train, with VOC's recipe
# (configs/seam/affinitynet_r38d_4xb2-8e_voc12aug-448x448.py), batch 8
# (4 GPUs x 2):
#   tools/dist_train.sh \
#       configs/seam/affinitynet_r38d_4xb2-8e_coco-448x448.py 4
_base_ = [
    '../_base_/models/affinitynet_r38.py', '../_base_/datasets/coco_refine.py',
    '../_base_/schedules/affinitynet_8ep.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor=dict(size=(448, 448)))
train_dataloader = dict(
    batch_size=2, dataset=dict(pipeline={{_base_.psa_train_pipeline}}))
# PSA's la/ha CRF thresholds (see the VOC config).
cam_labels = dict(ignore_band=(0.094, 0.276), crf=dict())
