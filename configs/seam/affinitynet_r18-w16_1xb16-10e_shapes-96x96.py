# AffinityNet on the synthetic benchmark, CPU-sized: the thin ResNet-18 of
# configs/_base_/models/cam_small.py, trained, whose weights come from the
# round's CAM network (no pretrained weights here; the round loop sets
# load_from to the classifier's checkpoint, whose backbone.* keys this
# backbone shares).
#   python tools/train.py \
#       configs/seam/affinitynet_r18-w16_1xb16-10e_shapes-96x96.py \
#       --cfg-options train_dataloader.dataset.pseudo_dir=LABELS \
#       load_from=CLS_CHECKPOINT
_base_ = [
    '../_base_/models/affinitynet_r38.py',
    '../_base_/datasets/shapes_refine.py',
    '../_base_/schedules/affinitynet_8ep.py', '../_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=(96, 96)),
    # cam_small.py's backbone, all four stages (16, 32, 64, 128 channels at
    # strides 4, 8, 8, 8; the coarser three upsampled to the grid) on a
    # stride-4 grid: PSA's stride 8 leaves 112-px images 14 x 14 cells,
    # shapes ~3 cells wide. Backbone trained, BN frozen, as PSA.
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
    level_channels=(16, 32, 64, 128),
    out_channels=240,
    stride=4,
    # PSA's pair radius 5 (20 px at stride 4).
    train_radius=5,
    # The walk, chosen on round 0 of generator seed 0 (P = 0.9) only, on
    # the first 60 train images (beta 4-32, logt 0-8, bg_alpha 0.25-8):
    # radius 5, beta 32, logt 4, bg_alpha 0.75. No setting beat the seeds
    # there (seed 75.07 on those 60; this 74.19; SEAM's beta 8, logt 6,
    # alpha 6 67.21; no walk (logt 0, alpha 0.75) 73.86): longer walks and
    # smaller beta spread the CAMs more and score lower. On all 300 train
    # images of that round: seed (CAM at 0.5) 74.84 mIoU, these settings
    # 74.04 (PSA's stride 8 with SEAM's walk scored 66.6 in an earlier
    # check): the refined masks are WORSE than the seeds here.
    radius=5,
    beta=32,
    logt=4,
    bg_alpha=0.75,
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
# affinitynet_r38d_4xb2-8e_voc12aug-448x448.py's optimiser for 10 epochs
# of batch 16. On 1 CPU thread the stride-4 grid costs ~280 s of training
# and ~15 s to predict the 300 masks.
train_cfg = dict(max_epochs=10)
auto_scale_lr = dict(base_batch_size=16)
