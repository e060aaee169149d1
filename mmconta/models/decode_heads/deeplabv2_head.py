"""DeepLab-v2's ASPP head, the segmentation model of CONTA's paper."""
from typing import List, Sequence

import torch
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor, nn

from mmconta.registry import MODELS


@MODELS.register_module()
class DeepLabV2Head(BaseDecodeHead):
    """ASPP of DeepLab-v2: class scores of parallel dilated 3x3 convolutions,
    summed.

    `DeepLab-v2 <https://arxiv.org/abs/1606.00915>`_ (ASPP-L, rates 6, 12,
    18, 24) as the PyTorch port that WSSS papers train on (kazuto1011's
    deeplab-pytorch, used by SEAM and IRN): each branch maps the backbone
    features straight to class scores, weights N(0, 0.01), biases 0. mmseg
    has DeepLab-v3's ASPP (``ASPPHead``: a shared 1x1 classifier after
    concatenated branches, image pooling, BN) but not this one.

    Args:
        dilations (Sequence[int]): Rates of the branches. Defaults to
            (6, 12, 18, 24).
        **kwargs: :class:`BaseDecodeHead` arguments; ``channels`` defaults
            to ``num_classes`` (the branches output class scores) and
            ``dropout_ratio`` to 0 (there is no layer after the branches).
    """

    def __init__(self,
                 dilations: Sequence[int] = (6, 12, 18, 24),
                 **kwargs) -> None:
        kwargs.setdefault('channels', kwargs.get('num_classes'))
        kwargs.setdefault('dropout_ratio', 0)
        kwargs.setdefault(
            'init_cfg',
            dict(type='Normal', std=0.01, override=dict(name='aspp')))
        super().__init__(**kwargs)
        if not dilations:
            raise ValueError('DeepLabV2Head needs at least one dilation')
        # The branches are the classifier: BaseDecodeHead's is not used.
        del self.conv_seg
        self.aspp = nn.ModuleList(
            nn.Conv2d(self.in_channels, self.out_channels, 3, padding=rate,
                      dilation=rate) for rate in dilations)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Class scores (N, num_classes, h, w) at the features' stride."""
        x = self._transform_inputs(inputs)
        return torch.stack([branch(x) for branch in self.aspp]).sum(0)
