# The CAM network on a ViT from mmpretrain: DeiT-S patch tokens (stride 16)
# as the feature map. A backbone swap of
# configs/cam/cam_r50_4xb4-5e_voc12aug-512x512.py; use it in a round loop
# with
#   cls = dict(config='{{fileDirname}}/../cam/'
#              'cam_deit-s_4xb4-5e_voc12aug-512x512.py')
_base_ = ['./cam_r50_4xb4-5e_voc12aug-512x512.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.VisionTransformer',
        arch='deit-small',
        img_size=512,  # position embeddings are resized to each input
        patch_size=16,
        out_type='featmap',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'deit/deit-small_pt-4xb256_in1k_20220218-9425b9bb.pth',
            prefix='backbone.')),
    head=dict(in_channels=384))
# Not published for CONTA; the usual ViT fine-tuning optimizer (AdamW) with
# IRN's 10x head learning rate.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10)}))
test_cfg = dict(output_stride=16)
