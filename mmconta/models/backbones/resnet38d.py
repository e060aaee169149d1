"""The wide ResNet-38 of PSA/AffinityNet and SEAM, as an mmseg backbone."""
from typing import List, Optional, Sequence, Tuple, Union

import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmconta.registry import MODELS


class PreActBasicBlock(BaseModule):
    """Pre-activation block of two 3x3 convolutions (PSA's ``ResBlock``).

    BN-ReLU comes before each convolution, and the shortcut projection (when
    the shape changes) reads the activated input, not the raw one. Attribute
    names are PSA's, so its state dicts load without renaming.

    Args:
        in_channels (int): Input channels.
        mid_channels (int): Output channels of the first convolution.
        out_channels (int): Output channels.
        stride (int): Stride of the first convolution and the projection.
            Defaults to 1.
        first_dilation (int): Dilation of the first convolution.
            Defaults to 1.
        dilation (int): Dilation of the second convolution. Defaults to 1.
        norm_cfg (dict): Norm layer config. Defaults to ``dict(type='BN')``.
    """

    def __init__(self,
                 in_channels: int,
                 mid_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 first_dilation: int = 1,
                 dilation: int = 1,
                 norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        norm_cfg = norm_cfg or dict(type='BN')
        self.bn_branch2a = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv_branch2a = nn.Conv2d(
            in_channels, mid_channels, 3, stride, padding=first_dilation,
            dilation=first_dilation, bias=False)
        self.bn_branch2b1 = build_norm_layer(norm_cfg, mid_channels)[1]
        self.conv_branch2b1 = nn.Conv2d(
            mid_channels, out_channels, 3, padding=dilation,
            dilation=dilation, bias=False)
        self.conv_branch1 = None
        if in_channels != out_channels or stride != 1:
            self.conv_branch1 = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """The block output and its activated input BN-ReLU(x).

        The activated input is the normalised form of the previous stage's
        output: SEAM's PCM reads it (``conv4``, ``conv5``), so it is returned
        rather than computed twice.
        """
        act = F.relu(self.bn_branch2a(x))
        shortcut = x if self.conv_branch1 is None else self.conv_branch1(act)
        out = self.conv_branch2a(act)
        out = self.conv_branch2b1(F.relu(self.bn_branch2b1(out)))
        return shortcut + out, act


class PreActBottleneck(BaseModule):
    """Pre-activation 1x1-3x3-1x1 block with dropout (PSA's ``ResBlock_bot``).

    Widths are ``out_channels`` / 4, / 2 and x1 (the widening bottleneck of
    Wu et al.'s model A); spatial dropout precedes the 3x3 and the last 1x1
    convolution. The shortcut is always a 1x1 projection of the activated
    input: both uses (b6, b7) change the width.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels, a multiple of 4.
        stride (int): Stride of the first 1x1 convolution and the
            projection. Defaults to 1.
        dilation (int): Dilation of the 3x3 convolution. Defaults to 1.
        dropout (float): Probability of :class:`nn.Dropout2d`.
            Defaults to 0.
        norm_cfg (dict): Norm layer config. Defaults to ``dict(type='BN')``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 dilation: int = 1,
                 dropout: float = 0.,
                 norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        norm_cfg = norm_cfg or dict(type='BN')
        quarter, half = out_channels // 4, out_channels // 2
        self.bn_branch2a = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv_branch2a = nn.Conv2d(
            in_channels, quarter, 1, stride, bias=False)
        self.bn_branch2b1 = build_norm_layer(norm_cfg, quarter)[1]
        self.dropout_2b1 = nn.Dropout2d(dropout)
        self.conv_branch2b1 = nn.Conv2d(
            quarter, half, 3, padding=dilation, dilation=dilation, bias=False)
        self.bn_branch2b2 = build_norm_layer(norm_cfg, half)[1]
        self.dropout_2b2 = nn.Dropout2d(dropout)
        self.conv_branch2b2 = nn.Conv2d(half, out_channels, 1, bias=False)
        self.conv_branch1 = nn.Conv2d(
            in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """The block output and its activated input BN-ReLU(x)."""
        act = F.relu(self.bn_branch2a(x))
        out = self.conv_branch2a(act)
        out = self.dropout_2b1(F.relu(self.bn_branch2b1(out)))
        out = self.conv_branch2b1(out)
        out = self.dropout_2b2(F.relu(self.bn_branch2b2(out)))
        out = self.conv_branch2b2(out)
        return self.conv_branch1(act) + out, act


@MODELS.register_module()
class ResNet38d(BaseModule):
    """Wide ResNet-38 ("ResNet-38d"), output stride 8, as in PSA and SEAM.

    `Wider or Deeper <https://arxiv.org/abs/1611.10080>`_'s ImageNet model A
    as jiwoon-ahn/psa ``network/resnet38d.py`` and YudeWang/SEAM
    ``network/resnet38d.py`` (identical but for SEAM's extra ``conv3``) dilate
    it for `AffinityNet <https://arxiv.org/abs/1803.10464>`_ and
    `SEAM <https://arxiv.org/abs/2004.04581>`_. A pre-activation network: a
    bare 3x3 stem ``conv1a`` (3->64), six stages, then ``bn7`` + ReLU.

    =====  =====  ==========  =====  ============  ======  ========  ======
    index  stage  block       count  out channels  stride  dilation  SEAM
    =====  =====  ==========  =====  ============  ======  ========  ======
    0      b2     basic       3      128           2       1
    1      b3     basic       3      256           4       1         conv3
    2      b4     basic       6      512           8       1         conv4
    3      b5     basic       3      1024          8       2 (*)     conv5
    4      b6     bottleneck  1      2048          8       4
    5      b7     bottleneck  1      4096 + bn7    8       4         conv6
    =====  =====  ==========  =====  ============  ======  ========  ======

    (*) The first convolution of b5 keeps dilation 1.

    b2-b4 start with a stride-2 basic block; b5-b7 keep the stride and
    dilate instead (PSA's output stride 8). Basic blocks are two 3x3
    convolutions (b5's first one 512 wide); bottlenecks have widths out/4,
    out/2, out and spatial dropout (0.3 in b6, 0.5 in b7) before their 3x3
    and last 1x1. 105,070,912 parameters (convolutions are bias-free).

    Output i is the *activated* stage output: BN-ReLU of the raw residual
    sum, i.e. the input of the next stage after that stage's first
    ``bn_branch2a`` (for b7, ReLU(bn7(.))). That is what SEAM's
    ``forward_as_dict`` returns; the raw sums are unnormalised. SEAM's
    ``(conv4, conv5, conv6)`` are ``out_indices=(2, 3, 5)``; PSA's and SEAM's
    classifier reads index 5.

    Training as PSA and SEAM do: all BN frozen (``norm_eval=True`` and
    ``norm_cfg=dict(type='BN', requires_grad=False)``) and the stem and b2
    fixed (``frozen_stages=1``; their ``not_training`` list).

    Args:
        out_indices (Sequence[int]): Stages whose activated outputs are
            returned, from 0 (b2) to 5 (b7 after bn7). Defaults to
            (0, 1, 2, 3, 4, 5).
        norm_cfg (dict): Norm layer config; ``requires_grad=False`` fixes
            the affine parameters. Defaults to
            ``dict(type='BN', requires_grad=True)``.
        norm_eval (bool): Keep norm layers in eval mode (running statistics
            fixed) while training. Defaults to False.
        frozen_stages (int): -1 freezes nothing, 0 the stem ``conv1a``,
            k >= 1 the stem and stages 0..k-1 (eval mode, no gradients);
            6 includes bn7. Defaults to -1.
        dropout_ratios (Sequence[float]): Dropout of b6 and b7.
            Defaults to (0.3, 0.5).
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to Kaiming for convolutions and ones for norm layers.

    Note:
        Pretrained weights. PSA and SEAM start from the MXNet ImageNet model
        ``ilsvrc-cls_rna-a1_cls1000_ep-0001.params`` (itijyou/ademxapp),
        which cannot be downloaded here. Parameter names here are PSA's
        PyTorch names, so the key mapping is that of PSA's
        ``convert_mxnet_to_torch``: ``conv1a_weight`` -> ``conv1a.weight``;
        ``res{s}a_{branch}_weight`` -> ``b{s}.conv_{branch}.weight`` and
        ``res{s}b{k}_...`` -> ``b{s}_{k}.conv_...``; ``bn{s}a_{branch}_*``
        -> ``b{s}.bn_{branch}.*`` (and ``bn{s}b{k}`` -> ``b{s}_{k}``) with
        the suffixes gamma, beta, ...mean, ...var -> weight, bias,
        running_mean, running_var; ``bn7_*`` -> ``bn7.*``; ``linear1000_*``
        dropped. ``tools/model_converters/resnet38d_mxnet2mmconta.py SRC
        pretrain/resnet38d_ilsvrc.pth`` applies it without MXNet and writes
        a state dict for ``init_cfg=dict(type='Pretrained',
        checkpoint='pretrain/resnet38d_ilsvrc.pth')``
        (no prefix; mmengine loads it non-strictly, so the missing
        ``num_batches_tracked`` buffers are only logged). A state dict
        saved by PSA's or SEAM's training loads the same way, its head keys
        ignored; an mmconta ``CAMClassifier`` checkpoint needs
        ``prefix='backbone.'``. Inputs are RGB normalised with ImageNet
        mean/std, as PSA's ``Normalize``: ``SegDataPreProcessor(mean=[123.675,
        116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True)``.
    """

    # (name, kind, in, mid, out, blocks, stride, first dilation, dilation),
    # from PSA's Net.__init__; mid is unused by bottlenecks.
    arch = (
        ('b2', 'basic', 64, 128, 128, 3, 2, 1, 1),
        ('b3', 'basic', 128, 256, 256, 3, 2, 1, 1),
        ('b4', 'basic', 256, 512, 512, 6, 2, 1, 1),
        ('b5', 'basic', 512, 512, 1024, 3, 1, 1, 2),
        ('b6', 'bottleneck', 1024, 0, 2048, 1, 1, 4, 4),
        ('b7', 'bottleneck', 2048, 0, 4096, 1, 1, 4, 4),
    )

    def __init__(self,
                 out_indices: Sequence[int] = (0, 1, 2, 3, 4, 5),
                 norm_cfg: Optional[dict] = None,
                 norm_eval: bool = False,
                 frozen_stages: int = -1,
                 dropout_ratios: Sequence[float] = (0.3, 0.5),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if init_cfg is None:
            init_cfg = [
                dict(type='Kaiming', layer='Conv2d'),
                dict(type='Constant', val=1,
                     layer=['_BatchNorm', 'GroupNorm'])
            ]
        super().__init__(init_cfg=init_cfg)
        num_stages = len(self.arch)
        out_indices = tuple(out_indices)
        if not out_indices or any(
                not 0 <= i < num_stages for i in out_indices):
            raise ValueError(
                f'ResNet38d: out_indices must be a non-empty subset of '
                f'0..{num_stages - 1}, got {out_indices}')
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(
                f'ResNet38d: frozen_stages must be in -1..{num_stages}, '
                f'got {frozen_stages}')
        if len(dropout_ratios) != 2:
            raise ValueError(
                f'ResNet38d: dropout_ratios needs two values (b6, b7), '
                f'got {dropout_ratios}')
        norm_cfg = norm_cfg or dict(type='BN', requires_grad=True)
        self.out_indices = out_indices
        self.norm_eval = norm_eval
        self.frozen_stages = frozen_stages

        self.conv1a = nn.Conv2d(3, 64, 3, padding=1, bias=False)
        # Blocks are attributes named as PSA's (b4, b4_1, ..., b4_5) so
        # that its checkpoints load by name; stage_blocks groups them.
        self.stage_blocks: List[List[str]] = []
        dropouts = dict(b6=dropout_ratios[0], b7=dropout_ratios[1])
        for (name, kind, in_ch, mid_ch, out_ch, num_blocks, stride,
             first_dilation, dilation) in self.arch:
            names = []
            for k in range(num_blocks):
                block_name = name if k == 0 else f'{name}_{k}'
                if kind == 'basic':
                    block = PreActBasicBlock(
                        in_ch if k == 0 else out_ch, mid_ch, out_ch,
                        stride=stride if k == 0 else 1,
                        first_dilation=first_dilation if k == 0 else dilation,
                        dilation=dilation, norm_cfg=norm_cfg)
                else:
                    block = PreActBottleneck(
                        in_ch if k == 0 else out_ch, out_ch,
                        stride=stride if k == 0 else 1, dilation=dilation,
                        dropout=dropouts[name], norm_cfg=norm_cfg)
                self.add_module(block_name, block)
                names.append(block_name)
            self.stage_blocks.append(names)
        self.bn7 = build_norm_layer(norm_cfg, self.arch[-1][4])[1]
        self._freeze_stages()

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of the returned outputs, in ``out_indices`` order."""
        return tuple(self.arch[i][4] for i in self.out_indices)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Activated stage outputs at ``out_indices``.

        Args:
            x (Tensor): Normalised RGB images (N, 3, H, W).

        Returns:
            tuple[Tensor]: One (N, C_i, H / s_i, W / s_i) map per index,
            s = 2, 4, 8, 8, 8, 8 (ceil division).
        """
        x = self.conv1a(x)
        acts = []
        for i, names in enumerate(self.stage_blocks):
            for k, name in enumerate(names):
                x, act = getattr(self, name)(x)
                # The first block of a stage normalises the previous
                # stage's output: that is the previous stage's feature.
                if i > 0 and k == 0:
                    acts.append(act)
        acts.append(F.relu(self.bn7(x)))
        return tuple(acts[i] for i in self.out_indices)

    def _freeze_stages(self) -> None:
        """Fix the stem and the first ``frozen_stages`` stages."""
        if self.frozen_stages < 0:
            return
        frozen = [self.conv1a] + [
            getattr(self, name)
            for names in self.stage_blocks[:self.frozen_stages]
            for name in names
        ]
        if self.frozen_stages == len(self.arch):
            frozen.append(self.bn7)  # b7's output is read after bn7
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'ResNet38d':
        """Set the mode, keeping frozen stages and (with ``norm_eval``) all
        norm layers in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
