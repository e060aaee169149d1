# AffinityNet on MS-COCO 2014 train, with VOC's recipe
# (configs/refine/affinitynet_voc.py).
#   tools/dist_train.sh configs/refine/affinitynet_coco.py 8
_base_ = [
    '../_base_/models/affinitynet_r38.py', '../_base_/datasets/coco_refine.py',
    '../_base_/schedules/affinitynet_8ep.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor=dict(size=(448, 448)))
train_dataloader = dict(
    batch_size=2, dataset=dict(pipeline={{_base_.psa_train_pipeline}}))
# PSA's la/ha CRF thresholds (see affinitynet_voc.py).
cam_labels = dict(ignore_band=(0.094, 0.276), crf=dict())
