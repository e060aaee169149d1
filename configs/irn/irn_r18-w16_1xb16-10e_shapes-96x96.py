# IRN's inter-pixel relation network on the synthetic benchmark, CPU-sized:
# the thin ResNet-18 of configs/_base_/models/cam_small.py, frozen, whose
# weights come from the round's CAM network (no pretrained weights here;
# the round loop sets load_from to the classifier's checkpoint, whose
# backbone.* keys this backbone shares).
#   python tools/train.py configs/irn/irn_r18-w16_1xb16-10e_shapes-96x96.py \
#       --cfg-options train_dataloader.dataset.pseudo_dir=LABELS \
#       load_from=CLS_CHECKPOINT
_base_ = [
    '../_base_/models/irn_r50.py', '../_base_/datasets/shapes_refine.py',
    '../_base_/schedules/irn_3ep.py', '../_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=(96, 96)),
    # cam_small.py's backbone, all four stages: 16, 32, 64, 128 channels at
    # strides 4, 8, 8, 8.
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        stem_channels=16,
        base_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 1, 1),
        out_indices=(0, 1, 2, 3),
        style='pytorch',
        norm_eval=True),
    in_channels=(16, 32, 64, 128),
    disp_channels=(32, 64, 64, 64),
    disp_fuse_channels=64,
    # The walk, chosen on round 0 of generator seed 0 (P = 0.9) only: swept
    # on the first 60 train images (radius 3/5, beta 3/10, logt 0-8,
    # bg_thr 0.25-0.75), then checked on all 300 (seed, the CAM at 0.5:
    # 74.84 mIoU): IRN's logt 8, bg_thr 0.25 32.40 (this model's boundary
    # sits at ~0.4-0.5 over the whole background, so long walks flood);
    # at bg_thr 0.75: logt 0 79.12, logt 1 77.96, logt 2 75.84 (logt 0,
    # bg_thr 0.85: 71.89). logt 0 takes no step at all (the CAMs masked by
    # 1 - boundary, IRN's propagate_to_edge, and thresholded); we keep the
    # shortest walk, logt 1 (2 steps), so that this config exercises IRN's
    # propagation: on this set the gain comes from the boundary mask, and
    # every step lowers the score.
    radius=5,
    beta=10,
    logt=1,
    bg_thr=0.75,
    # Each walked class divided by its own peak, not all by the strongest
    # one (ours; IRN and PSA normalise once): on both modes x 3 data seeds
    # (docs/results/baselines.md) the refined masks gain +10.0 [+5.0,
    # +15.0] (IRN) and +4.1 [+1.9, +6.3] (AffinityNet) mIoU on the hard
    # mode, where one peak erased small objects, and move by under half a
    # point on the easy mode.
    class_norm=True)
# The CAM stage's labels: confident foreground above 0.65, confident
# background below 0.35 around the CAM config's seed threshold 0.5
# (configs/cam/cam_r18-w16_1xb16-12e_shapes-96x96.py); no CRF
# (round 0, seed 0: 85.10 mIoU over the labelled pixels, 4.8% unsure).
cam_labels = dict(bg_thr=0.5, ignore_band=(0.35, 0.65))
# IRN's optimiser (irn_r50_4xb8-3e_voc12aug-512x512.py) for 10 epochs of
# batch 16: 300 images give 19 steps an epoch, against IRN's ~330. Frozen
# backbone and train path radius 10 as IRN; an unfrozen backbone (lr x 0.1)
# with path radius 5 stopped the walk flooding (logt 0-3 all ~74.5) but
# gave at best 74.8 on the 60 images (seed 75.1), so it is not used. About
# 1.5 minutes of training and 11 s of prediction on 1 thread.
train_cfg = dict(max_epochs=10)
auto_scale_lr = dict(base_batch_size=16)
