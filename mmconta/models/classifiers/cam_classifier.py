"""A multi-label image classifier whose head yields CAMs."""
from typing import List, Optional, Sequence, Union

from mmengine.model import BaseModel
from mmseg.structures import SegDataSample
from torch import Tensor

from mmconta.registry import MODELS


@MODELS.register_module()
class CAMClassifier(BaseModel):
    """Backbone + :class:`CAMHead`: the CAM network of WSSS (IRN step 1).

    `IRN <https://arxiv.org/abs/1904.05044>`_'s classifier, any backbone:
    mmseg's (``ResNet``, ``ResNetV1c``, ``MixVisionTransformer``, ...) or
    another package's by scope (``type='mmpretrain.ResNet'``). IRN's options
    live in the backbone config: output stride 16 (``strides=(1, 2, 2, 1)``,
    ``dilations=(1, 1, 1, 1)``), frozen BN (``norm_eval=True``), frozen stem
    and first stages (``frozen_stages``).

    Args:
        backbone (dict): Backbone config; the backbone returns a tuple of
            feature maps.
        head (dict): Head config, e.g. ``dict(type='CAMHead', ...)``.
        data_preprocessor (dict, optional): e.g. mmseg's
            ``SegDataPreProcessor``. Defaults to None.
        feature_index (int): Which backbone output feeds the head.
            Defaults to -1.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 data_preprocessor: Optional[dict] = None,
                 feature_index: int = -1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        self.feature_index = feature_index
        if hasattr(self.head, 'attach'):  # CONTA's M into the backbone
            self.head.attach(self.backbone)

    @property
    def context_at_cam(self) -> bool:
        """Whether CAMs depend on the image's x_m (CONTA's M placed in the
        backbone, or M's term in the CAMs)."""
        return getattr(self.head, 'needs_context_at_cam', False)

    def context(self, data_samples: Optional[Sequence],
                like: Tensor) -> Optional[Tensor]:
        """CONTA's M (N, 1, h, w) for the batch, or None without CONTA."""
        if not hasattr(self.head, 'context'):
            return None
        return self.head.context(data_samples, like)

    def backbone_feats(self, inputs: Tensor,
                       context: Optional[Tensor] = None) -> tuple:
        """Every backbone output; ``context`` is M where M enters it."""
        if not getattr(self.head, 'needs_backbone', False):
            return self.backbone(inputs)
        with self.head.use_context(context):
            return self.backbone(inputs)

    def extract_feat(self, inputs: Tensor,
                     context: Optional[Tensor] = None) -> Tensor:
        """The backbone output at ``feature_index``.

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).
            context (Tensor, optional): CONTA's M (N, 1, h, w), needed
                where M enters the backbone.

        Returns:
            Tensor: Features (N, C, h, w).
        """
        return self.backbone_feats(inputs, context)[self.feature_index]

    def _backbone_context(self, inputs: Tensor,
                          data_samples: Optional[Sequence]
                          ) -> Optional[Tensor]:
        if not getattr(self.head, 'needs_backbone', False):
            return None
        return self.context(data_samples, inputs)

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[SegDataSample]] = None,
                mode: str = 'tensor') -> Union[dict, List, Tensor]:
        """Losses, predictions or logits, as mmengine's runner asks.

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).
            data_samples (list[SegDataSample], optional): Needed for
                ``'loss'`` (``gt_img_labels``); ``'predict'`` makes empty
                ones when absent. Defaults to None.
            mode (str): ``'loss'`` (dict with ``loss_cls``), ``'predict'``
                (samples with ``pred_img_scores``) or ``'tensor'`` (logits
                (N, K)). Defaults to 'tensor'.

        Returns:
            dict | list | Tensor: As ``mode`` says.
        """
        if mode not in ('loss', 'predict', 'tensor'):
            raise ValueError("mode must be 'loss', 'predict' or 'tensor', "
                             f'got {mode!r}')
        if mode == 'loss' and data_samples is None:
            raise ValueError("mode='loss' needs data_samples with "
                             'gt_img_labels, got None')
        feat = self.extract_feat(
            inputs, self._backbone_context(inputs, data_samples))
        if mode == 'loss':
            return self.head.loss(feat, data_samples)
        if mode == 'predict':
            if data_samples is None:
                data_samples = [SegDataSample() for _ in range(len(inputs))]
            return self.head.predict(feat, data_samples)
        return self.head(feat, data_samples)

    def cam(self, inputs: Tensor, context: Optional[Tensor] = None) -> Tensor:
        """Class activation maps, before ReLU.

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).
            context (Tensor, optional): CONTA's M (N, 1, h, w) in image
                coordinates, needed when :attr:`context_at_cam`.

        Returns:
            Tensor: (N, K, h, w) at the backbone's output stride.
        """
        feat = self.extract_feat(inputs, context)
        if getattr(self.head, 'cam_with_context', False):
            return self.head.cam(feat, context)
        return self.head.cam(feat)
