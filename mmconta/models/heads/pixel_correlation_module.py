"""SEAM's pixel correlation module: CAMs propagated by feature affinity."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmconta.registry import MODELS


@MODELS.register_module()
class PixelCorrelationModule(BaseModule):
    """SEAM's PCM: each pixel's CAM re-estimated from similar pixels.

    `SEAM <https://arxiv.org/abs/2004.04581>`_ (YudeWang/SEAM
    ``network/resnet38_SEAM.py`` lines 42-47 and 52-63). The embedding
    reads the image resized to the CAM grid (bilinear,
    ``align_corners=True``) and 1x1 bias-free reductions (+ ReLU) of
    *detached* backbone features (SEAM: ``conv4`` 512 -> 64 and ``conv5``
    1024 -> 128), concatenated and projected by a 1x1 bias-free conv to
    ``out_channels`` (192). With f the L2-normalised embedding (one column
    per pixel),

    aff = ReLU(f^T f), aff_ij <- aff_ij / (sum_i aff_ij + 1e-5),
    cam_rv = cam @ aff,

    so each output pixel j is an affinity-weighted mean of the input CAM.
    Gradients reach only this module's convolutions: the CAM and the
    features come in detached.

    Parameter names map from SEAM's as ``f8_3`` -> ``reduce_convs.0``,
    ``f8_4`` -> ``reduce_convs.1``, ``f9`` -> ``embed_conv``.

    Args:
        in_indices (Sequence[int]): Which backbone outputs feed the
            reductions.
        in_channels (Sequence[int]): Their channels, one per index.
        channels (Sequence[int]): Reduced channels, one per index.
            Defaults to SEAM's (64, 128).
        out_channels (int): Embedding channels. Defaults to 192.
        image_channels (int): Channels of the image. Defaults to 3.
        init_cfg (dict | list[dict], optional): Defaults to SEAM's: Kaiming
            normal (fan-in, ReLU gain) for the reductions and Xavier uniform
            with gain 4 for the projection.
    """

    def __init__(self,
                 in_indices: Sequence[int],
                 in_channels: Sequence[int],
                 channels: Sequence[int] = (64, 128),
                 out_channels: int = 192,
                 image_channels: int = 3,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if init_cfg is None:
            # torch.nn.init.kaiming_normal_ defaults, as SEAM calls it.
            init_cfg = dict(
                type='Kaiming', layer='Conv2d', mode='fan_in',
                nonlinearity='relu', distribution='normal',
                override=dict(type='Xavier', name='embed_conv', gain=4,
                              distribution='uniform'))
        super().__init__(init_cfg=init_cfg)
        if not len(in_indices) == len(in_channels) == len(channels):
            raise ValueError(
                'PixelCorrelationModule: in_indices, in_channels and '
                'channels need one entry per feature, got '
                f'{in_indices}, {in_channels} and {channels}')
        self.in_indices = tuple(in_indices)
        self.reduce_convs = nn.ModuleList(
            nn.Conv2d(c_in, c_out, 1, bias=False)
            for c_in, c_out in zip(in_channels, channels))
        self.embed_conv = nn.Conv2d(
            image_channels + sum(channels), out_channels, 1, bias=False)

    def embed(self, image: Tensor, feats: Sequence[Tensor],
              size: Sequence[int]) -> Tensor:
        """The L2-normalised pixel embeddings f, one column per pixel.

        Args:
            image (Tensor): Normalised images (N, 3, H, W).
            feats (Sequence[Tensor]): All backbone outputs; those at
                ``in_indices`` are used, detached.
            size (Sequence[int]): The CAM grid (h, w).

        Returns:
            Tensor: (N, out_channels, h * w).
        """
        parts = [
            F.interpolate(
                image, size, mode='bilinear', align_corners=True)
        ]
        for index, conv in zip(self.in_indices, self.reduce_convs):
            feat = F.relu(conv(feats[index].detach()))
            # SEAM's features share the CAM's stride 8; other backbones'
            # (e.g. ResNet-50 at output stride 16) may not.
            if feat.shape[-2:] != tuple(size):
                feat = F.interpolate(
                    feat, size, mode='bilinear', align_corners=True)
            parts.append(feat)
        embedding = self.embed_conv(torch.cat(parts, dim=1)).flatten(2)
        return embedding / (embedding.norm(dim=1, keepdim=True) + 1e-5)

    def forward(self, cam: Tensor, image: Tensor,
                feats: Sequence[Tensor]) -> Tensor:
        """Propagate ``cam`` by the pixels' affinities.

        Args:
            cam (Tensor): The normalised CAM to refine (N, C, h, w); SEAM
                feeds its background + foreground seed (see
                ``SEAMClassifier``). Detached here.
            image (Tensor): Normalised images (N, 3, H, W).
            feats (Sequence[Tensor]): All backbone outputs.

        Returns:
            Tensor: The refined CAM (N, C, h, w).
        """
        n, c, h, w = cam.shape
        embedding = self.embed(image, feats, (h, w))
        aff = F.relu(embedding.transpose(1, 2) @ embedding)
        aff = aff / (aff.sum(dim=1, keepdim=True) + 1e-5)
        # reshape, not view: the CAM loop feeds channels-last tensors.
        return (cam.detach().reshape(n, c, h * w) @ aff).reshape(n, c, h, w)
