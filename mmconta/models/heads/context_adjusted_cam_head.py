"""CONTA's context adjustment in the CAM classifier's head."""
import math
from contextlib import contextmanager
from typing import Iterator, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmconta.registry import MODELS
from ..utils.context_injection import (ContextHook, context_conv_like,
                                       injection_conv)
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
    h x w. x_m comes with each data sample as ``prev_mask``
    (``LoadPreviousMask`` and ``PackWSSSInputs``); its foreground (any
    class) is area-resized to h x w and flattened, matching the
    confounders' form.

    Where M enters (``inject``), always as one extra channel whose new
    weights start at zero, so that at initialisation the network is the
    plain one whatever M:

    * ``'classifier'``: concatenated to the head's features before the 1x1
      classifier (the third-party re-implementation's placement). The
      classifier is linear after global pooling, so M reaches the logits
      only through its spatial mean. CAMs use the image-feature weights
      only, unless ``cam_with_context`` adds M's own term as that code's
      CAMs do.
    * ``'stage<k>'``: concatenated to the output of backbone stage k
      (1-based) and consumed by the first convolution of stage k + 1,
      widened by one input channel ("concatenated into the backbone", the
      authors' words): later non-linear layers can use M's layout.
    * ``'input'``: an extra input channel of the image, taken by the
      backbone's first convolution (the reviewers' suggested baseline).

    The backbone placements need x_m at CAM time as well; the classifier
    (:class:`CAMClassifier`) computes M with :meth:`context` and holds it
    for the backbone's forward (:meth:`use_context`).

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
        inject (str): ``'classifier'``, ``'input'`` or ``'stage<k>'``.
            Defaults to 'classifier'.
        x_m (str): ``'binary'``: the mask's foreground (any class);
            ``'soft'``: the segmentor's foreground probability, loaded from
            ``seg_train/fg_prob`` as 0..254 for 0..1 (255: padding or
            ignore, counted as 0). Defaults to 'binary'.
        cam_with_context (bool): With ``inject='classifier'``, add M's term
            to the CAMs. Defaults to False.
        loss_weight (float): Defaults to 1.0.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 bank_file: Optional[str] = None,
                 bank_size: Tuple[int, int] = (32, 32),
                 embed_dims: Optional[int] = None,
                 inject: str = 'classifier',
                 cam_with_context: bool = False,
                 x_m: str = 'binary',
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        if cam_with_context and inject != 'classifier':
            raise ValueError('cam_with_context applies to '
                             f"inject='classifier' only, got {inject!r}")
        if x_m not in ('binary', 'soft'):
            raise ValueError(f"x_m must be 'binary' or 'soft', got {x_m!r}")
        self.inject = inject
        self.cam_with_context = cam_with_context
        self.x_m = x_m
        super().__init__(in_channels, num_classes, loss_weight, init_cfg)
        if inject == 'classifier':
            # M's weights start at zero, as for the backbone placements.
            nn.init.zeros_(self.classifier.weight[:, in_channels:])
        self.current_context: Optional[Tensor] = None
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

    @property
    def needs_backbone(self) -> bool:
        """Whether M enters the backbone (``'input'`` or ``'stage<k>'``)."""
        return self.inject != 'classifier'

    @property
    def needs_context_at_cam(self) -> bool:
        """Whether CAMs depend on x_m, so CAM generation must load it."""
        return self.needs_backbone or self.cam_with_context

    def attach(self, backbone: nn.Module) -> None:
        """Widen the backbone's convolution at ``inject`` by M's channel.

        Called by the classifier once both are built; a no-op for
        ``'classifier'``. The new weights (``context_conv``) belong to this
        head and start at zero.
        """
        if not self.needs_backbone:
            return
        conv = injection_conv(backbone, self.inject)
        self.context_conv = context_conv_like(conv)
        conv.register_forward_hook(ContextHook(self))

    @contextmanager
    def use_context(self, context: Optional[Tensor]) -> Iterator[None]:
        """Hold M (N, 1, h, w) for the backbone's forward."""
        self.current_context = context
        try:
            yield
        finally:
            self.current_context = None

    def classifier_channels(self) -> int:
        return self.in_channels + (self.inject == 'classifier')

    def context_adjustment(self, masks: Tensor) -> Tensor:
        """M (N, h, w) for foreground masks x_m (N, h, w)."""
        n, h, w = masks.shape
        confounders = self.confounders.flatten(1)  # (K, h*w)
        query = self.query(masks.flatten(1))  # (N, d)
        key = self.key(confounders)  # (K, d)
        alpha = torch.softmax(
            query @ key.t() / math.sqrt(self.embed_dims), dim=1)
        return ((alpha * self.prior) @ confounders).view(n, h, w)

    def context(self, data_samples: Optional[List],
                like: Tensor) -> Tensor:
        """M (N, 1, h, w) of a batch, from each sample's ``prev_mask``.

        Args:
            data_samples (list): Samples with ``prev_mask`` (x_m).
            like (Tensor): Gives M's dtype and device.
        """
        if not data_samples or 'prev_mask' not in data_samples[0]:
            raise ValueError(
                'ContextAdjustedCAMHead needs each data sample\'s prev_mask '
                "(x_m): set the dataset's prev_mask_dir and keep "
                'LoadPreviousMask in the pipeline')
        size = self.confounders.shape[1:]
        masks = torch.stack([
            F.adaptive_avg_pool2d(
                self._foreground(s.prev_mask.data).to(like.dtype).to(
                    like.device), size)[0] for s in data_samples
        ])
        return self.context_adjustment(masks)[:, None]

    def _foreground(self, mask: Tensor) -> Tensor:
        """x_m at full size: binary foreground or its probability."""
        valid = mask != 255
        if self.x_m == 'soft':
            return torch.where(valid, mask.float() / 254, 0.)
        return ((mask > 0) & valid).float()

    def _context_channel(self, feat: Tensor,
                         context: Tensor) -> Tensor:
        return F.interpolate(context.to(feat.dtype), feat.shape[2:],
                             mode='bilinear', align_corners=False)

    def classifier_input(self, feat: Tensor,
                         data_samples: Optional[List] = None) -> Tensor:
        if self.needs_backbone:
            return feat  # M already shaped the features
        return torch.cat(
            [feat, self._context_channel(feat,
                                         self.context(data_samples, feat))],
            dim=1)

    def cam(self, feat: Tensor, context: Optional[Tensor] = None) -> Tensor:
        """CAMs; with ``cam_with_context``, plus M's term (needs M)."""
        cam = super().cam(feat)
        if not self.cam_with_context:
            return cam
        if context is None:
            raise ValueError('cam_with_context: the CAMs need M; the CAM '
                             'loop must load x_m (its dataset\'s '
                             'prev_mask_dir, LoadPreviousMask)')
        weight = self.classifier.weight[:, self.in_channels:]
        return cam + F.conv2d(self._context_channel(feat, context), weight)
