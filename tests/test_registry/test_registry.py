"""mmconta's registries reach mmseg's and mmpretrain's types."""
import torch
from mmengine.registry import init_default_scope

from mmconta.registry import (DATASETS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS,
                              TRANSFORMS, VISUALIZERS)


def test_mmseg_types_resolve_under_mmconta_scope():
    init_default_scope('mmconta')
    assert MODELS.get('EncoderDecoder').__module__.startswith('mmseg')
    assert DATASETS.get('PascalVOCDataset') is not None
    assert TRANSFORMS.get('PackSegInputs') is not None
    assert TRANSFORMS.get('PackWSSSInputs').__module__.startswith('mmconta')
    assert VISUALIZERS.get('SegLocalVisualizer') is not None
    assert OPTIM_WRAPPER_CONSTRUCTORS.get(
        'LearningRateDecayOptimizerConstructor') is not None


def test_mmpretrain_backbone_in_an_mmseg_segmentor():
    init_default_scope('mmconta')
    model = MODELS.build(
        dict(
            type='EncoderDecoder',
            data_preprocessor=dict(type='SegDataPreProcessor'),
            backbone=dict(
                type='mmpretrain.ResNet', depth=18, out_indices=(3, )),
            decode_head=dict(
                type='FCNHead', in_channels=512, channels=16, num_convs=1,
                num_classes=3, in_index=0,
                loss_decode=dict(type='CrossEntropyLoss'))))
    assert type(model.backbone).__module__.startswith('mmpretrain')
    out = model(torch.rand(1, 3, 64, 64), mode='tensor')
    assert out.shape == (1, 3, 2, 2)
