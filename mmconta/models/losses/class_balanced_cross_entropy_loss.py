"""Pixel cross-entropy weighted against the batch's class frequencies."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_reduce
from torch import Tensor

from mmconta.registry import MODELS


@MODELS.register_module()
class ClassBalancedCrossEntropyLoss(nn.Module):
    """Softmax cross-entropy whose pixels are weighted by their class's
    inverse frequency in the batch, to a power.

    A class present in the batch with a share ``f_c`` of its labelled
    pixels weighs ``(1 / (K * f_c)) ** power`` per pixel, ``K`` the number
    of classes present (``power=1`` gives every present class the same
    total weight, as median-frequency balancing does; ``0`` is plain
    cross-entropy). The loss is the weighted mean over labelled pixels.
    Pseudo-masks of small objects are a percent of the pixels, so the
    plain loss lets a segmentor trained on them predict such a class
    nowhere; the weights stop that.

    The counts are summed over processes before the weights are taken, so
    the weights are the global batch's whatever the number of processes.

    A drop-in for mmseg's softmax ``CrossEntropyLoss`` in a decode head
    (``loss_decode``): same call, same ``loss_name``, and a config switches
    by its ``type`` alone (``use_sigmoid=False`` is accepted).

    Args:
        power (float): Exponent of the inverse frequency. Defaults to 0.5.
        use_sigmoid (bool): Must be False (the loss is a softmax one); for
            configs written for mmseg's loss. Defaults to False.
        loss_weight (float): Multiplier of the loss. Defaults to 1.
        loss_name (str): Name in the log; a ``loss_`` prefix puts it in the
            total. Defaults to 'loss_ce'.
    """

    def __init__(self,
                 power: float = 0.5,
                 use_sigmoid: bool = False,
                 loss_weight: float = 1.,
                 loss_name: str = 'loss_ce') -> None:
        super().__init__()
        if power < 0:
            raise ValueError('ClassBalancedCrossEntropyLoss: power must be '
                             f'>= 0, got {power!r}')
        if use_sigmoid:
            raise ValueError('ClassBalancedCrossEntropyLoss is a softmax '
                             'loss: use_sigmoid must be False')
        self.power = power
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def class_weights(self, label: Tensor, num_classes: int,
                      ignore_index: int) -> Tensor:
        """(num_classes,) weights of the labelled pixels of ``label``; 0
        for an absent class."""
        valid = label[label != ignore_index]
        counts = torch.bincount(
            valid, minlength=num_classes)[:num_classes].float()
        all_reduce(counts)  # in place; a no-op without a process group
        present = counts > 0
        weights = torch.zeros_like(counts)
        if present.any():
            share = counts[present] / counts.sum()
            weights[present] = (1. / (present.sum() * share))**self.power
        return weights

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: int = 255,
                **kwargs) -> Tensor:
        """The weighted mean cross-entropy.

        Args:
            cls_score (Tensor): (N, C, H, W) logits.
            label (Tensor): (N, H, W) class ids, ``ignore_index`` unlabelled.
            weight (Tensor, optional): (N, H, W) extra pixel weights (mmseg's
                sampler). Defaults to None.
            ignore_index (int): Unlabelled id. Defaults to 255.

        Returns:
            Tensor: The scalar loss.
        """
        num_classes = cls_score.shape[1]
        label = label.long()
        pixel_loss = F.cross_entropy(
            cls_score, label, reduction='none', ignore_index=ignore_index)
        labelled = label != ignore_index
        weights = self.class_weights(label, num_classes, ignore_index)
        pixel_weight = weights[label.where(labelled, 0)] * labelled
        if weight is not None:
            pixel_weight = pixel_weight * weight
        loss = (pixel_loss * pixel_weight).sum() / pixel_weight.sum().clamp(
            min=1e-12)
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        """The name mmseg's decode head logs the loss under."""
        return self._loss_name
