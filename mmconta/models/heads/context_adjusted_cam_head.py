"""CONTA's context adjustment in the CAM classifier's head."""
import math
from typing import List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmconta.registry import MODELS
from .cam_head import CAMHead


@MODELS.register_module()
class ContextAdjustedCAMHead(CAMHead):
    """:class:`CAMHead` with CONTA's context adjustment M concatenated.

    `CONTA <https://arxiv.org/abs/2009.12547>`_ approximates the backdoor
    adjustment P(Y|do(X)) by feeding the classifier

    M = sum_i alpha_i P(c_i) c_i,
    alpha = softmax_i((W1 x_m)^T (W2 c_i) / sqrt(d)),

    where c_i are the confounders (class-wise average masks, see
    ``ConfounderBankHook``), P(c_i) their prior and x_m the image's mask from
    the previous round's segmentation model, resized to the confounders'
    h x w. M is resized to the feature map and concatenated as one extra
    channel before the 1x1 classifier. CAMs use only the classifier weights
    of the image features (:meth:`CAMHead.cam`), as in the paper.

    x_m comes with each data sample as ``prev_mask`` (``LoadPreviousMask``
    and ``PackWSSSInputs``); its foreground (any class) is area-resized to
    h x w and flattened, matching the confounders' form.

    Args:
        in_channels (int): Channels of the image features.
        num_classes (int): Foreground classes K.
        bank_file (str, optional): ``confounder_bank.npz`` of the previous
            round. None leaves the bank to a checkpoint's state dict; the
            confounders' size is then ``bank_size``.
        bank_size (tuple[int, int]): h x w when no ``bank_file`` is given.
            Defaults to (32, 32).
        embed_dims (int, optional): d. Defaults to K + 1, as the authors'
            ``m_t.py`` (d = 21 on VOC).
        loss_weight (float): Defaults to 1.0.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 bank_file: Optional[str] = None,
                 bank_size: Tuple[int, int] = (32, 32),
                 embed_dims: Optional[int] = None,
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_channels, num_classes, loss_weight, init_cfg)
        if bank_file is not None:
            with np.load(bank_file) as bank:
                confounders = torch.from_numpy(bank['confounders']).float()
                prior = torch.from_numpy(bank['prior']).float()
        else:
            confounders = torch.zeros(num_classes, *bank_size)
            prior = torch.full((num_classes, ), 1 / num_classes)
        if confounders.shape[0] != num_classes:
            raise ValueError(
                f'{bank_file}: {confounders.shape[0]} confounders for '
                f'{num_classes} classes')
        self.register_buffer('confounders', confounders)
        self.register_buffer('prior', prior)
        self.embed_dims = embed_dims or num_classes + 1
        area = confounders.shape[1] * confounders.shape[2]
        self.query = nn.Linear(area, self.embed_dims)  # W1 on x_m
        self.key = nn.Linear(area, self.embed_dims)  # W2 on c_i
        for layer in (self.query, self.key):
            nn.init.normal_(layer.weight, std=0.02)  # as m_t.py
            nn.init.zeros_(layer.bias)

    def classifier_channels(self) -> int:
        return self.in_channels + 1

    def context_adjustment(self, masks: Tensor) -> Tensor:
        """M (N, h, w) for foreground masks x_m (N, h, w)."""
        n, h, w = masks.shape
        confounders = self.confounders.flatten(1)  # (K, h*w)
        query = self.query(masks.flatten(1))  # (N, d)
        key = self.key(confounders)  # (K, d)
        alpha = torch.softmax(
            query @ key.t() / math.sqrt(self.embed_dims), dim=1)
        return ((alpha * self.prior) @ confounders).view(n, h, w)

    def classifier_input(self, feat: Tensor,
                         data_samples: Optional[List] = None) -> Tensor:
        if not data_samples or 'prev_mask' not in data_samples[0]:
            raise ValueError(
                'ContextAdjustedCAMHead needs each data sample\'s prev_mask '
                '(x_m): add LoadPreviousMask to the pipeline')
        size = self.confounders.shape[1:]
        masks = torch.stack([
            F.adaptive_avg_pool2d(
                ((s.prev_mask.data > 0) & (s.prev_mask.data != 255)).to(
                    feat.dtype).to(feat.device), size)[0]
            for s in data_samples
        ])
        adjustment = self.context_adjustment(masks)
        adjustment = F.interpolate(
            adjustment[:, None], feat.shape[2:], mode='bilinear',
            align_corners=False)
        return torch.cat([feat, adjustment], dim=1)
