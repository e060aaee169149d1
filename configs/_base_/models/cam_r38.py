# PSA's classification network (jiwoon-ahn/psa network/resnet38_cls.py):
# ResNet-38d at output stride 8 trained as SEAM's (all BN frozen, stem and
# b2 without gradient) and a bias-free 1x1 classifier on b7 (4096
# channels), as a CAMClassifier. tools/model_converters/wsss2mmconta.py
# psa-cls converts PSA's trained weights to it.
_base_ = ['./seam_r38.py']
model = dict(
    _delete_=True,
    type='CAMClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='ResNet38d',
        out_indices=(5, ),
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        frozen_stages=1,
        init_cfg=dict(
            type='Pretrained', checkpoint='pretrain/resnet38d_ilsvrc.pth')),
    head=dict(type='CAMHead', in_channels=4096, num_classes=20))
