# DeepLab-v2 (ASPP-L: class scores of rates 6/12/18/24 summed) on a dilated
# ResNet-101 at output stride 8: the segmentation model of CONTA's paper.
# The backbone and preprocessing are deeplabv3_r101.py's.
_base_ = './deeplabv3_r101.py'
model = dict(
    decode_head=dict(
        _delete_=True,
        type='DeepLabV2Head',
        in_channels=2048,
        in_index=0,
        dilations=(6, 12, 18, 24),
        num_classes=21,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
