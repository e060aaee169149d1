"""IRN's inter-pixel relation network: class boundaries and displacements."""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmcv.cnn import ConvModule
from torch import Tensor, nn

from mmconta.registry import MODELS
from ..utils.pair_affinity import (pair_boundary_affinity, pair_displacement,
                                   pair_labels)
from ..utils.random_walk import affinity_from_boundary
from .base_refiner import (BaseRefiner, affinity_log_losses, masked_mean,
                           resize_levels)


class MeanShift(nn.Module):
    """Subtracts the mean displacement at inference (IRN's ``MeanShift``).

    Training returns the input unchanged and, as the BatchNorm-based
    ``MeanShift`` of IRN's ``net/resnet50_irn.py`` does, updates a running
    mean with ``momentum``; evaluation subtracts it. (The other version of
    IRN's code instead sets ``running_mean`` after training to the mean
    over the training set, ``step/train_irn.py``.) The training loss only
    sees differences of displacements, which a shift leaves unchanged; the
    mean matters to IRN's instance centroids, not to the semantic masks.

    Args:
        num_features (int): Channels. Defaults to 2.
        momentum (float): Weight of each batch mean. Defaults to 0.1.
    """

    def __init__(self, num_features: int = 2, momentum: float = 0.1) -> None:
        super().__init__()
        self.momentum = momentum
        self.register_buffer('running_mean', torch.zeros(num_features))

    def forward(self, x: Tensor) -> Tensor:
        if self.training:
            self.running_mean.lerp_(x.detach().mean((0, 2, 3)),
                                    self.momentum)
            return x
        return x - self.running_mean.view(1, -1, 1, 1)


@MODELS.register_module()
class IRNet(BaseRefiner):
    """Class boundaries and displacements from a frozen backbone.

    `IRN <https://arxiv.org/abs/1904.05044>`_ as jiwoon-ahn/irn
    ``net/resnet50_irn.py`` builds it, on any backbone's levels:

    * edge branch: per level a bias-free 1x1 convolution to
      ``edge_channels`` (32), GroupNorm (4 groups), ReLU, bilinear
      upsampling to the affinity grid; concatenated, a 1x1 convolution with
      bias to one channel, the boundary logit;
    * displacement branch: per level 1x1 convolution, GroupNorm, ReLU to
      ``disp_channels``, upsampled to the grid, concatenated, 1x1
      convolution-GroupNorm-ReLU to ``disp_fuse_channels``, a bias-free 1x1
      convolution to 2 channels (dy, dx in grid cells) and
      :class:`MeanShift`.

    Differences from IRN's network: IRN also reads its ResNet-50 stem
    (conv1 output, stride 4) and fuses the displacement levels in two steps
    (strides 16 and 8 first, then with the stride-4 levels); a generic
    backbone gives its stages only, fused in one step. IRN applies ReLU
    after upsampling; here it comes before. IRN's 1x1 convolutions keep
    PyTorch's default initialisation, ``ConvModule`` Kaiming's.

    Training (``step/train_irn.py`` and ``AffinityDisplacementLoss``), on
    pairs at ``train_radius`` (IRN's path radius, 10) with the labels of
    :func:`pair_labels`: ``aff`` = :func:`pair_boundary_affinity` of the
    sigmoid of the boundary logit;

    * ``loss_pos`` = (mean of ``-log(aff + 1e-5)`` over background
      positives + the same over foreground positives) / 4,
    * ``loss_neg`` = mean of ``-log(1 + 1e-5 - aff)`` over negatives / 2,
    * ``loss_dp_fg`` = mean of ``|d_i - d_j - (p_j - p_i)|`` over
      foreground positives and both components / 2,
    * ``loss_dp_bg`` = mean of ``|d_i - d_j|`` over background positives and
      both components / 2,

    IRN's total ``(pos + neg) / 2 + (dp_fg + dp_bg) / 2``.

    Prediction (``step/make_sem_seg_labels.py``): the boundary of the image
    and its flip (sigmoid of the averaged logits), the dense affinity
    :func:`affinity_from_boundary` at ``radius`` 5 and power ``beta`` 10,
    the CAMs masked by ``1 - boundary`` and walked ``2 ** 8`` steps,
    background threshold ``bg_thr`` 0.25 after upsampling; see
    :class:`BaseRefiner`.

    Args:
        backbone (dict): Backbone config; all its outputs are used, the
            first at the finest stride.
        in_channels (Sequence[int]): Channels of the backbone's outputs.
            Defaults to (256, 512, 1024, 2048) (ResNet-50 stages).
        edge_channels (int): Channels of each edge level. Defaults to 32.
        disp_channels (Sequence[int]): Channels of each displacement level.
            Defaults to (128, 256, 256, 256) (IRN's widths of these stages).
        disp_fuse_channels (int): Channels of the fused displacement
            features. Defaults to 256.
        edge_norm_cfg (dict): Edge norm layer. Defaults to
            ``dict(type='GN', num_groups=4)``.
        disp_norm_cfg (dict): Displacement norm layer. Defaults to
            ``dict(type='GN', num_groups=16)``.
        stride (int): Affinity grid stride. Defaults to 4.
        train_radius (int): Path radius of trained pairs. Defaults to 10.
        radius (int): Walk radius. Defaults to 5.
        beta (float): Walk affinity power. Defaults to 10.
        logt (int): Walk squarings. Defaults to 8.
        bg_alpha (float, optional): PSA's background instead.
            Defaults to None.
        bg_thr (float, optional): Background threshold. Defaults to 0.25.
        flip (bool): Average the boundary logits of the image and its flip.
            Defaults to True.
        freeze_backbone (bool): Train the branches only. Defaults to True.
        **kwargs: Other :class:`BaseRefiner` arguments.
    """

    def __init__(self,
                 backbone: dict,
                 in_channels: Sequence[int] = (256, 512, 1024, 2048),
                 edge_channels: int = 32,
                 disp_channels: Sequence[int] = (128, 256, 256, 256),
                 disp_fuse_channels: int = 256,
                 edge_norm_cfg: Optional[dict] = None,
                 disp_norm_cfg: Optional[dict] = None,
                 stride: int = 4,
                 train_radius: int = 10,
                 radius: int = 5,
                 beta: float = 10.,
                 logt: int = 8,
                 bg_alpha: Optional[float] = None,
                 bg_thr: Optional[float] = 0.25,
                 flip: bool = True,
                 freeze_backbone: bool = True,
                 **kwargs) -> None:
        super().__init__(
            backbone,
            stride=stride,
            train_radius=train_radius,
            radius=radius,
            beta=beta,
            logt=logt,
            bg_alpha=bg_alpha,
            bg_thr=bg_thr,
            flip=flip,
            freeze_backbone=freeze_backbone,
            **kwargs)
        if len(in_channels) != len(disp_channels):
            raise ValueError('IRNet: in_channels and disp_channels need one '
                             'entry per backbone output, got '
                             f'{in_channels} and {disp_channels}')
        edge_norm_cfg = edge_norm_cfg or dict(type='GN', num_groups=4)
        disp_norm_cfg = disp_norm_cfg or dict(type='GN', num_groups=16)
        self.edge_levels = nn.ModuleList(
            ConvModule(c, edge_channels, 1, norm_cfg=edge_norm_cfg)
            for c in in_channels)
        self.edge_fuse = nn.Conv2d(edge_channels * len(in_channels), 1, 1)
        self.disp_levels = nn.ModuleList(
            ConvModule(cin, cout, 1, norm_cfg=disp_norm_cfg)
            for cin, cout in zip(in_channels, disp_channels))
        self.disp_fuse = nn.Sequential(
            ConvModule(
                sum(disp_channels),
                disp_fuse_channels,
                1,
                norm_cfg=disp_norm_cfg),
            nn.Conv2d(disp_fuse_channels, 2, 1, bias=False), MeanShift(2))

    def _levels(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        feats = self.extract_feat(inputs)
        if len(feats) != len(self.edge_levels):
            raise ValueError(f'IRNet: the backbone gives {len(feats)} '
                             f'outputs, in_channels {len(self.edge_levels)}')
        return feats

    def _branch(self, feats: Sequence[Tensor], levels: nn.ModuleList,
                fuse: nn.Module, size: Tuple[int, int]) -> Tensor:
        outs = resize_levels([m(f) for m, f in zip(levels, feats)], size)
        return fuse(torch.cat(outs, dim=1))

    def affinity_map(self, inputs: Tensor) -> Tensor:
        """Boundary logits (N, 1, h, w) on the grid."""
        return self._branch(
            self._levels(inputs), self.edge_levels, self.edge_fuse,
            self.grid_size(*inputs.shape[-2:]))

    def pair_losses(self, inputs: Tensor, label: Tensor) -> Dict[str, Tensor]:
        """IRN's boundary and displacement losses, weighted as its total."""
        feats = self._levels(inputs)
        size = self.grid_size(*inputs.shape[-2:])
        edge = self._branch(feats, self.edge_levels, self.edge_fuse, size)
        disp = self._branch(feats, self.disp_levels, self.disp_fuse, size)
        labels = pair_labels(label, self.train_radius)
        aff = pair_boundary_affinity(
            torch.sigmoid(edge[:, 0]), self.train_radius)
        pos, neg = affinity_log_losses(aff)
        pair_disp, target = pair_displacement(disp, self.train_radius)
        fg_pos, bg_pos = labels['fg_pos'][:, None], labels['bg_pos'][:, None]
        return dict(
            loss_pos=(masked_mean(pos, labels['bg_pos']) +
                      masked_mean(pos, labels['fg_pos'])) / 4,
            loss_neg=masked_mean(neg, labels['neg']) / 2,
            loss_dp_fg=masked_mean((pair_disp - target).abs(), fg_pos, 2) / 2,
            loss_dp_bg=masked_mean(pair_disp.abs(), bg_pos, 2) / 2)

    def dense_affinity(self, aff_map: Tensor) -> Tuple[Tensor, Tensor]:
        """:func:`affinity_from_boundary` of the boundary, and the
        boundary."""
        boundary = torch.sigmoid(aff_map[0])
        return affinity_from_boundary(boundary, self.radius,
                                      self.beta), boundary
