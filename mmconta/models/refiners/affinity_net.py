"""AffinityNet (PSA), the CAM refiner SEAM uses."""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmconta.registry import MODELS
from ..utils.pair_affinity import pair_feature_affinity, pair_labels
from ..utils.random_walk import affinity_from_features
from .base_refiner import (BaseRefiner, affinity_log_losses, masked_mean,
                           resize_levels)


@MODELS.register_module()
class AffinityNet(BaseRefiner):
    """Pixel features whose L1 distances give affinities.

    `AffinityNet <https://arxiv.org/abs/1803.10464>`_ as jiwoon-ahn/psa
    ``network/resnet38_aff.py`` builds it and YudeWang/SEAM reuses it: each
    backbone level (ResNet-38d's b4, b5, b7: 512, 1024, 4096 channels at
    stride 8) goes through a bias-free 1x1 convolution (to 64, 128, 256
    channels) and ELU; the levels are concatenated, and a bias-free 1x1
    convolution (448 -> 448) and ELU give the features ``f``. The affinity
    of two pixels is ``exp(-mean_c |f_i - f_j|)``. Levels of another size
    than the affinity grid (a generic backbone's) are resized to it
    bilinearly first.

    Trained as PSA's ``train_aff.py``: with ``aff`` the pair affinities at
    ``train_radius`` (:func:`pair_feature_affinity`) and the pair labels of
    :func:`pair_labels`, ``loss_bg`` = mean over background-positive pairs
    of ``-log(aff + 1e-5)`` / 4, ``loss_fg`` likewise over foreground
    positives / 4, ``loss_neg`` = mean over negatives of
    ``-log(1 + 1e-5 - aff)`` / 2 (each mean ``sum / (count + 1e-5)``).

    Prediction (PSA and SEAM ``infer_aff.py``): the dense affinity
    :func:`affinity_from_features` at ``radius`` and power ``beta``, the
    walk with background ``bg_alpha``; see :class:`BaseRefiner`. Defaults
    are SEAM's (``logt`` 6, ``bg_alpha`` 6; PSA uses 8 and 16).

    Args:
        backbone (dict): Backbone config; all its outputs are used.
        in_channels (Sequence[int]): Channels of the backbone's outputs.
            Defaults to (512, 1024, 4096) (ResNet-38d b4, b5, b7).
        level_channels (Sequence[int]): Channels of each level after its
            1x1 convolution. Defaults to (64, 128, 256).
        out_channels (int): Feature channels. Defaults to 448.
        stride (int): Affinity grid stride. Defaults to 8.
        train_radius (int): Radius of trained pairs. Defaults to 5.
        radius (int): Walk radius. Defaults to 5.
        beta (float): Walk affinity power. Defaults to 8.
        logt (int): Walk squarings. Defaults to 6 (SEAM).
        bg_alpha (float, optional): Background power. Defaults to 6 (SEAM).
        bg_thr (float, optional): IRN's background instead. Defaults to
            None.
        **kwargs: Other :class:`BaseRefiner` arguments.
    """

    def __init__(self,
                 backbone: dict,
                 in_channels: Sequence[int] = (512, 1024, 4096),
                 level_channels: Sequence[int] = (64, 128, 256),
                 out_channels: int = 448,
                 stride: int = 8,
                 train_radius: int = 5,
                 radius: int = 5,
                 beta: float = 8.,
                 logt: int = 6,
                 bg_alpha: Optional[float] = 6.,
                 bg_thr: Optional[float] = None,
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
            **kwargs)
        if len(in_channels) != len(level_channels):
            raise ValueError('AffinityNet: in_channels and level_channels '
                             'need one entry per backbone output, got '
                             f'{in_channels} and {level_channels}')
        self.level_convs = nn.ModuleList(
            nn.Conv2d(cin, cout, 1, bias=False)
            for cin, cout in zip(in_channels, level_channels))
        self.fuse = nn.Conv2d(
            sum(level_channels), out_channels, 1, bias=False)
        # PSA's initialisation, done here as PSA does it: mmengine's
        # init_weights leaves plain nn.Conv2d alone.
        for conv in self.level_convs:
            nn.init.kaiming_normal_(conv.weight)
        nn.init.xavier_uniform_(self.fuse.weight, gain=4)

    def affinity_map(self, inputs: Tensor) -> Tensor:
        """Pixel features ``f`` (N, out_channels, h, w) on the grid."""
        feats = self.extract_feat(inputs)
        if len(feats) != len(self.level_convs):
            raise ValueError(f'AffinityNet: the backbone gives {len(feats)} '
                             f'outputs, in_channels {len(self.level_convs)}')
        feats = resize_levels(feats, self.grid_size(*inputs.shape[-2:]))
        levels = [F.elu(conv(f)) for conv, f in zip(self.level_convs, feats)]
        return F.elu(self.fuse(torch.cat(levels, dim=1)))

    def pair_losses(self, inputs: Tensor, label: Tensor) -> Dict[str, Tensor]:
        """PSA's ``train_aff.py`` losses, weighted 1/4, 1/4, 1/2."""
        aff = pair_feature_affinity(self.affinity_map(inputs),
                                    self.train_radius)
        labels = pair_labels(label, self.train_radius)
        pos, neg = affinity_log_losses(aff)
        return dict(
            loss_bg=masked_mean(pos, labels['bg_pos']) / 4,
            loss_fg=masked_mean(pos, labels['fg_pos']) / 4,
            loss_neg=masked_mean(neg, labels['neg']) / 2)

    def dense_affinity(self, aff_map: Tensor) -> Tuple[Tensor, None]:
        """:func:`affinity_from_features` of the features; no boundary."""
        return affinity_from_features(aff_map, self.radius, self.beta), None
