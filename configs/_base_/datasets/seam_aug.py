# SEAM's training augmentation (train_SEAM.py): long side 448-768
# (RandomResizeLong), flip, colour jitter, random crop 448 (smaller images
# padded by the data preprocessor). Used by
# configs/seam/seam_r38d_1xb8-8e_{voc12aug,coco}-448x448.py as
# {{_base_.seam_train_pipeline}}.
seam_crop_size = (448, 448)
seam_train_pipeline = [
    dict(type='LoadImageFromFile'),
    # x_m from round 1 on (the round loop sets the dataset's prev_mask_dir).
    dict(type='LoadPreviousMask'),
    dict(type='LoadAnnotations'),
    # CDA's pasted copy (intervention='cda' or 'both', rounds t >= 1: the
    # round loop gives the dataset an instance bank); otherwise the
    # transforms below run once, as listed.
    dict(
        type='PasteInstances',
        pipeline=[
            dict(
                type='RandomResize',
                scale=(448, 448),
                ratio_range=(1.0, 768 / 448),
                keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
            # SEAM's ColorJitter also shifts hue by up to 0.1; mmcv 2.1's
            # adjust_hue overflows under numpy 2 for negative shifts, so no
            # hue.
            dict(
                type='mmpretrain.ColorJitter',
                brightness=0.3,
                contrast=0.3,
                saturation=0.3),
            dict(type='RandomCrop', crop_size=seam_crop_size),
            dict(type='PackWSSSInputs'),
        ]),
]
