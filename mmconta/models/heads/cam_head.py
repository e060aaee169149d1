"""The classifier head whose weights make class activation maps."""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmconta.registry import MODELS


@MODELS.register_module()
class CAMHead(BaseModule):
    """Global average pooling and a bias-free 1x1 classifier (IRN's CAM head).

    `CAM <https://arxiv.org/abs/1512.04150>`_: the logits are the spatial
    mean of the class maps, so the CAM of class k is exactly what the
    classifier scores for k, pixel by pixel. Trained with the multi-label
    soft-margin loss against ``data_sample.gt_img_labels`` (multi-hot over
    the K foreground classes).

    Args:
        in_channels (int): Channels of the image features.
        num_classes (int): Foreground classes K (background is no label).
        loss_weight (float): Weight of the multi-label soft-margin loss.
            Defaults to 1.0.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Note:
        Subclasses that feed the classifier more than the image features
        (CONTA's context adjustment) override :meth:`classifier_input` and
        :meth:`classifier_channels`; the extra channels must come after the
        image features, because :meth:`cam` uses only the first
        ``in_channels`` input channels of the classifier weights.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1:
            raise ValueError(f'CAMHead: in_channels must be >= 1, got '
                             f'{in_channels}')
        if num_classes < 1:
            raise ValueError(f'CAMHead: num_classes must be >= 1, got '
                             f'{num_classes}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.loss_weight = loss_weight
        self.classifier = nn.Conv2d(
            self.classifier_channels(), num_classes, 1, bias=False)

    def classifier_channels(self) -> int:
        """Input channels of the 1x1 classifier: here, ``in_channels``."""
        return self.in_channels

    def classifier_input(self,
                         feat: Tensor,
                         data_samples: Optional[List] = None) -> Tensor:
        """What the classifier sees: here, the image features unchanged.

        Args:
            feat (Tensor): Image features (N, C, h, w).
            data_samples (list, optional): The batch's data samples, for
                subclasses that read per-image inputs. Unused here.

        Returns:
            Tensor: (N, classifier_channels(), h, w).
        """
        return feat

    def forward(self,
                feat: Tensor,
                data_samples: Optional[List] = None) -> Tensor:
        """Logits of the pooled classifier input.

        Args:
            feat (Tensor): Image features (N, C, h, w).
            data_samples (list, optional): Passed to
                :meth:`classifier_input`. Defaults to None.

        Returns:
            Tensor: Logits (N, K).
        """
        # Pooling before the linear 1x1 conv equals pooling the CAMs, at a
        # fraction of the cost.
        pooled = F.adaptive_avg_pool2d(
            self.classifier_input(feat, data_samples), 1)
        return self.classifier(pooled).flatten(1)

    def cam(self, feat: Tensor) -> Tensor:
        """Class activation maps, before ReLU.

        Args:
            feat (Tensor): Image features (N, C, h, w).

        Returns:
            Tensor: (N, K, h, w), the image-feature part of the classifier
            weights applied at every position.
        """
        return F.conv2d(feat, self.classifier.weight[:, :self.in_channels])

    def loss(self, feat: Tensor, data_samples: List) -> Dict[str, Tensor]:
        """Multi-label soft-margin loss.

        Args:
            feat (Tensor): Image features (N, C, h, w).
            data_samples (list): Samples with ``gt_img_labels`` (K,).

        Returns:
            dict: ``loss_cls``, weighted by ``loss_weight``.
        """
        logits = self(feat, data_samples)
        labels = torch.stack([s.gt_img_labels for s in data_samples]).to(
            logits)
        loss = F.multilabel_soft_margin_loss(logits, labels)
        return dict(loss_cls=self.loss_weight * loss)

    def predict(self, feat: Tensor, data_samples: List) -> List:
        """Set each sample's ``pred_img_scores`` (K,) to sigmoid scores.

        Args:
            feat (Tensor): Image features (N, C, h, w).
            data_samples (list): The batch's data samples.

        Returns:
            list: ``data_samples``, updated in place.
        """
        scores = torch.sigmoid(self(feat, data_samples))
        for sample, score in zip(data_samples, scores):
            sample.pred_img_scores = score
        return data_samples
