# AffinityNet on VOC 2012 + SBD (PSA's train_aff.py and infer_aff.py, with
# SEAM's walk): trained on the CAMs' confident labels, then the random walk
# of every train_aug image's CAM to a pseudo-mask. Batch 8 (4 GPUs x 2):
#   tools/dist_train.sh \
#       configs/seam/affinitynet_r38d_4xb2-8e_voc12aug-448x448.py 4
_base_ = [
    '../_base_/models/affinitynet_r38.py',
    '../_base_/datasets/voc12aug_refine.py',
    '../_base_/schedules/affinitynet_8ep.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor=dict(size=(448, 448)))
train_dataloader = dict(
    batch_size=2, dataset=dict(pipeline={{_base_.psa_train_pipeline}}))
# The CAM stage's labels for this network: PSA's and SEAM's la/ha CRF
# labels have background scores (1 - max_k cam_k) ** alpha at alpha 4
# (confident foreground) and 24 (confident background); a pixel is
# foreground where max_k cam_k beats that, i.e. above 0.276 (alpha 4) and
# 0.094 (alpha 24). They refine scores by a CRF, we the two seeds by IRN's.
cam_labels = dict(ignore_band=(0.094, 0.276), crf=dict())
