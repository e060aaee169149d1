"""The classifier head whose weights make class activation maps."""
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmconta.registry import MODELS


@MODELS.register_module()
class CAMHead(BaseModule):
    """Global average pooling and a bias-free 1x1 classifier (IRN's CAM head).

    Logits are the spatial mean of the class maps, so the CAM of class k is
    exactly what the classifier scores for k, pixel by pixel
    (`CAM <https://arxiv.org/abs/1512.04150>`_).

    Args:
        in_channels (int): Channels of the image features.
        num_classes (int): Foreground classes K (background is no label).
        loss_weight (float): Weight of the multi-label soft-margin loss.
            Defaults to 1.0.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Note:
        Subclasses that feed the classifier more than the image features
        (CONTA's context adjustment) override :meth:`classifier_input`;
        :meth:`cam` keeps using the image-feature part of the weights.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1 or num_classes < 1:
            raise ValueError('in_channels and num_classes must be positive, '
                             f'got {in_channels} and {num_classes}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.loss_weight = loss_weight
        self.classifier = nn.Conv2d(
            self.classifier_channels(), num_classes, 1, bias=False)

    def classifier_channels(self) -> int:
        """Input channels of the 1x1 classifier."""
        return self.in_channels

    def classifier_input(self, feat: Tensor,
                         data_samples: Optional[List] = None) -> Tensor:
        """What the classifier sees: here, the image features."""
        return feat

    def forward(self, feat: Tensor,
                data_samples: Optional[List] = None) -> Tensor:
        """Logits (N, K): the classifier on the pooled input."""
        pooled = F.adaptive_avg_pool2d(
            self.classifier_input(feat, data_samples), 1)
        return self.classifier(pooled).flatten(1)

    def cam(self, feat: Tensor) -> Tensor:
        """Class activation maps (N, K, h, w), before ReLU."""
        weight = self.classifier.weight[:, :self.in_channels]
        return F.conv2d(feat, weight)

    def loss(self, feat: Tensor, data_samples: List) -> dict:
        logits = self(feat, data_samples)
        labels = torch.stack([s.gt_img_labels for s in data_samples]).to(
            logits)
        loss = F.multilabel_soft_margin_loss(logits, labels)
        return dict(loss_cls=self.loss_weight * loss)

    def predict(self, feat: Tensor, data_samples: List) -> List:
        scores = torch.sigmoid(self(feat, data_samples))
        for sample, score in zip(data_samples, scores):
            sample.pred_img_scores = score
        return data_samples
