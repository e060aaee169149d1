"""SEAM: a CAM classifier trained for equivariance across image scales."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmseg.structures import SegDataSample
from torch import Tensor

from mmconta.registry import MODELS
from ..losses import (adaptive_min_pooling_loss,
                      equivariant_cross_regularisation_loss,
                      equivariant_regularisation_loss, max_norm, max_onehot,
                      with_background)
from .cam_classifier import CAMClassifier


@MODELS.register_module()
class SEAMClassifier(CAMClassifier):
    """:class:`CAMClassifier` + SEAM's pixel correlation module and losses.

    `SEAM <https://arxiv.org/abs/2004.04581>`_ (Wang et al., CVPR 2020;
    YudeWang/SEAM ``network/resnet38_SEAM.py`` and ``train_SEAM.py``). Each
    training batch is seen twice, as given and rescaled by ``view_scale``
    (0.3, bilinear, ``align_corners=True``). Per view the network yields the
    CAM and its PCM refinement ``cam_rv`` (:class:`PixelCorrelationModule`),
    both upsampled to the view's size (bilinear, ``align_corners=True``).
    The losses, with y the image labels and a background label of 1:

    - ``loss_cls``: the head's multi-label soft-margin loss, averaged over
      the views;
    - ``loss_er``: mean L1 between the first view's CAM, rescaled, and the
      second view's (both ``max_norm``'ed and times y);
    - ``loss_ecr``: each view's ``max_norm``'ed PCM output against the
      other view's CAM (its background 1 - max foreground, only its
      strongest class per pixel kept, detached), mean of the top
      ``ecr_topk`` errors, both directions summed;
    - ``loss_rvmin``: :func:`adaptive_min_pooling_loss` of each view's PCM
      output times y, averaged over the views (SEAM adds it to its
      ``loss_cls``; here it is logged apart).

    The PCM's input is the CAM, detached, after ReLU, divided by its
    per-class maximum (+1e-5), with a background channel 1 - max
    foreground, and each pixel's non-maximal foreground classes zeroed.

    The logits come from ``self.head(feat, data_samples)`` and the CAMs
    from ``self.head.cam(feat)``, so CONTA's
    :class:`ContextAdjustedCAMHead` drops in: it reads ``prev_mask`` from
    the data samples and resizes its context map to each view's features,
    so one list of samples serves both views.

    Differences from SEAM:

    - SEAM's ``fc8`` has K + 1 outputs; the background one is never used
      (the losses and the PCM replace it by 1 - max foreground, inference
      drops it), so the head's K foreground channels are equivalent.
    - SEAM drops out (``Dropout2d(0.5)``) the last features before ``fc8``;
      the head here has no dropout (ResNet-38d's b6 and b7 still drop out
      inside their blocks).
    - SEAM's logits are the mean of the CAM after upsampling to the input
      size; here they are the head's pooled features, the mean before
      upsampling (equal up to interpolation edge weights).

    Inference: :meth:`cam` is the PCM output (SEAM's ``infer_SEAM.py``
    uses ``cam_rv``) at the feature resolution, the K foreground channels.
    ``CAMGenerationLoop`` upsamples, applies ReLU, sums scales and flips and
    divides by the maximum; SEAM's inference divides min-max instead (max
    and min of the ReLU'd sum), which differs where a class map's minimum
    is above 0. :meth:`plain_cam` gives the CAM without the PCM.

    Args:
        backbone (dict): Backbone config; returns a tuple of feature maps.
        head (dict): A :class:`CAMHead` config (or a subclass's).
        pcm (dict): A :class:`PixelCorrelationModule` config; its
            ``in_indices`` index the backbone's outputs.
        data_preprocessor (dict, optional): Defaults to None.
        feature_index (int): Which backbone output feeds the head.
            Defaults to -1.
        view_scale (float): Scale of the second view. Defaults to 0.3.
        er_weight (float): Weight of ``loss_er``. Defaults to 1.0.
        ecr_weight (float): Weight of ``loss_ecr``. Defaults to 1.0.
        ecr_topk (float): Fraction of the largest ECR errors averaged.
            Defaults to 0.2.
        rvmin_weight (float): Weight of ``loss_rvmin``. Defaults to 1.0.
        rvmin_ratio (float): Fraction of the pixels min-pooled by
            ``loss_rvmin``. Defaults to 0.25.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 pcm: dict,
                 data_preprocessor: Optional[dict] = None,
                 feature_index: int = -1,
                 view_scale: float = 0.3,
                 er_weight: float = 1.0,
                 ecr_weight: float = 1.0,
                 ecr_topk: float = 0.2,
                 rvmin_weight: float = 1.0,
                 rvmin_ratio: float = 0.25,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone, head, data_preprocessor, feature_index,
                         init_cfg)
        if view_scale <= 0:
            raise ValueError(
                f'SEAMClassifier: view_scale must be > 0, got {view_scale}')
        for name, value in (('ecr_topk', ecr_topk),
                            ('rvmin_ratio', rvmin_ratio)):
            if not 0 < value <= 1:
                raise ValueError(
                    f'SEAMClassifier: {name} must be in (0, 1], got {value}')
        self.pcm = MODELS.build(pcm)
        self.view_scale = view_scale
        self.er_weight = er_weight
        self.ecr_weight = ecr_weight
        self.ecr_topk = ecr_topk
        self.rvmin_weight = rvmin_weight
        self.rvmin_ratio = rvmin_ratio

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[SegDataSample]] = None,
                mode: str = 'tensor') -> Union[dict, List, Tensor]:
        """SEAM's losses for ``'loss'``; else as :class:`CAMClassifier`.

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).
            data_samples (list[SegDataSample], optional): Needed for
                ``'loss'``. Defaults to None.
            mode (str): ``'loss'`` (dict with ``loss_cls``, ``loss_er``,
                ``loss_ecr``, ``loss_rvmin``), ``'predict'`` or
                ``'tensor'``. Defaults to 'tensor'.

        Returns:
            dict | list | Tensor: As ``mode`` says.
        """
        if mode == 'loss' and data_samples is not None:
            return self.loss(inputs, data_samples)
        # The parent raises on a bad mode or missing samples.
        return super().forward(inputs, data_samples, mode)

    @staticmethod
    def pcm_seed(cam: Tensor) -> Tensor:
        """The PCM's input: SEAM's ``cam_d_norm``.

        ``network/resnet38_SEAM.py`` lines 35-40: ReLU, each class divided
        by its maximum + 1e-5, background 1 - max foreground, and each
        pixel's non-maximal foreground classes zeroed. No gradient.

        Args:
            cam (Tensor): Foreground CAMs (N, K, h, w).

        Returns:
            Tensor: (N, K + 1, h, w), background first.
        """
        with torch.no_grad():
            cam = F.relu(cam.detach())
            cam = F.relu(cam - 1e-5) / (
                cam.amax(dim=(2, 3), keepdim=True) + 1e-5)
            return max_onehot(with_background(cam))

    def _cams(self, inputs: Tensor, context: Optional[Tensor] = None
              ) -> Tuple[Tensor, Tensor, Tensor]:
        """Head features, CAM and PCM output at the feature resolution."""
        feats = self.backbone_feats(inputs, context)
        feat = feats[self.feature_index]
        cam = self.head.cam(feat)
        return feat, cam, self.pcm(self.pcm_seed(cam), inputs, feats)

    def cam(self, inputs: Tensor, context: Optional[Tensor] = None) -> Tensor:
        """The PCM-refined CAMs (SEAM's inference map).

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).
            context (Tensor, optional): CONTA's M where it enters the
                backbone (:meth:`CAMClassifier.cam`).

        Returns:
            Tensor: (N, K, h, w), non-negative, at the head's features'
            resolution.
        """
        return self._cams(inputs, context)[2][:, 1:]

    def plain_cam(self, inputs: Tensor,
                  context: Optional[Tensor] = None) -> Tensor:
        """The CAMs without the PCM, before ReLU (:meth:`CAMClassifier.cam`).

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).
            context (Tensor, optional): As for :meth:`cam`.

        Returns:
            Tensor: (N, K, h, w).
        """
        return super().cam(inputs, context)

    def _view(self, inputs: Tensor,
              data_samples: Sequence) -> Tuple[Tensor, Tensor, Tensor]:
        """One view's classification loss, CAM and PCM output.

        The maps are upsampled to the view's size, as SEAM's network
        returns them.
        """
        feat, cam, cam_rv = self._cams(
            inputs, self._backbone_context(inputs, data_samples))
        loss_cls = self.head.loss(feat, data_samples)['loss_cls']
        size = inputs.shape[-2:]
        cam, cam_rv = (
            F.interpolate(x, size, mode='bilinear', align_corners=True)
            for x in (cam, cam_rv))
        return loss_cls, cam, cam_rv

    def loss(self, inputs: Tensor,
             data_samples: Sequence) -> Dict[str, Tensor]:
        """SEAM's training losses (``train_SEAM.py`` lines 104-142).

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).
            data_samples (Sequence): Samples with ``gt_img_labels`` (K,)
                (and whatever the head reads, e.g. ``prev_mask``).

        Returns:
            dict: ``loss_cls``, ``loss_er``, ``loss_ecr`` and ``loss_rvmin``,
            each already weighted.
        """
        labels = torch.stack([s.gt_img_labels for s in data_samples]).to(
            inputs)[..., None, None]
        labels_bg = torch.cat([torch.ones_like(labels[:, :1]), labels], 1)
        small = F.interpolate(
            inputs, scale_factor=self.view_scale, mode='bilinear',
            align_corners=True)
        cls1, cam1, cam_rv1 = self._view(inputs, data_samples)
        cls2, cam2, cam_rv2 = self._view(small, data_samples)
        size = cam2.shape[-2:]

        loss_rvmin = sum(
            adaptive_min_pooling_loss(rv[:, 1:] * labels, self.rvmin_ratio)
            for rv in (cam_rv1, cam_rv2)) / 2
        # Both views on the second view's grid, normalised and masked.
        cam1, cam_rv1 = (
            F.interpolate(max_norm(x), size, mode='bilinear',
                          align_corners=True) for x in (cam1, cam_rv1))
        cam1, cam2 = cam1 * labels, max_norm(cam2) * labels
        cam_rv1, cam_rv2 = cam_rv1 * labels_bg, max_norm(cam_rv2) * labels_bg
        loss_er = equivariant_regularisation_loss(cam1, cam2)
        loss_ecr = equivariant_cross_regularisation_loss(
            cam_rv1, with_background(cam2), self.ecr_topk) + \
            equivariant_cross_regularisation_loss(
                cam_rv2, with_background(cam1), self.ecr_topk)
        return dict(
            loss_cls=(cls1 + cls2) / 2,
            loss_er=self.er_weight * loss_er,
            loss_ecr=self.ecr_weight * loss_ecr,
            loss_rvmin=self.rvmin_weight * loss_rvmin)
