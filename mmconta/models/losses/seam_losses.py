"""SEAM's normalisations and self-supervised losses, as plain functions.

`SEAM <https://arxiv.org/abs/2004.04581>`_ (Wang et al., CVPR 2020) trains
its CAM network on an image and a rescaled copy of it. Line numbers refer
to YudeWang/SEAM at commit 3212261 (``train_SEAM.py``,
``tool/visualization.py``).

Maps with a background channel follow SEAM's layout: channel 0 is the
background, channels 1..K the foreground classes.
"""
import torch
import torch.nn.functional as F
from torch import Tensor


def max_norm(cam: Tensor, eps: float = 1e-5) -> Tensor:
    """Per-channel min-max normalisation after ReLU (SEAM's ``max_norm``).

    ``relu(p - min - eps) / (max - min + eps)`` of ``p = relu(cam)``, each
    (image, channel) map on its own (``tool/visualization.py`` lines 62-67).

    Args:
        cam (Tensor): Maps (N, C, H, W).
        eps (float): Keeps the minimum at exactly 0 and the division finite.
            Defaults to 1e-5.

    Returns:
        Tensor: (N, C, H, W) in [0, 1).
    """
    cam = F.relu(cam)
    flat = cam.flatten(2)
    max_v = flat.amax(dim=-1)[..., None, None]
    min_v = flat.amin(dim=-1)[..., None, None]
    return F.relu(cam - min_v - eps) / (max_v - min_v + eps)


def with_background(cam: Tensor) -> Tensor:
    """Prepend SEAM's background channel, 1 - the maximum foreground.

    ``cam1[:,0,:,:] = 1-torch.max(cam1[:,1:,:,:],dim=1)[0]``
    (``train_SEAM.py`` lines 131-132, ``network/resnet38_SEAM.py`` line 38).

    Args:
        cam (Tensor): Normalised foreground maps (N, K, H, W).

    Returns:
        Tensor: (N, K + 1, H, W), background first.
    """
    return torch.cat([1 - cam.amax(dim=1, keepdim=True), cam], dim=1)


def max_onehot(cam: Tensor) -> Tensor:
    """Keep each pixel's strongest foreground class; zero the others.

    SEAM's ``max_onehot`` (``train_SEAM.py`` lines 26-30), which zeroes the
    losers *in place* (and so edits ``cam2.detach()``, which shares memory
    with the ``cam2`` it was given). This returns a new tensor and leaves
    ``cam`` unchanged. Ties all survive, as in SEAM. The background channel
    0 is kept as it is.

    Args:
        cam (Tensor): Maps (N, K + 1, H, W), background first.

    Returns:
        Tensor: (N, K + 1, H, W).
    """
    fg = cam[:, 1:]
    fg = fg * (fg == fg.amax(dim=1, keepdim=True))
    return torch.cat([cam[:, :1], fg], dim=1)


def adaptive_min_pooling_loss(cam: Tensor, ratio: float = 0.25) -> Tensor:
    """Mean of the smallest ``ratio`` of the per-pixel class maxima, ReLU'd.

    SEAM's ``adaptive_min_pooling_loss`` (``train_SEAM.py`` lines 16-24):
    ``k = h*w//4`` pixels with the lowest maximum over channels, their
    positive part summed and divided by ``k * n``. It pushes the least
    activated quarter of each image (background, in effect) towards 0.

    Args:
        cam (Tensor): Foreground maps (N, K, H, W) (SEAM: the PCM output
            times the labels, without its background channel).
        ratio (float): Fraction of the pixels pooled. Defaults to 0.25.

    Returns:
        Tensor: Scalar loss.
    """
    n, _, h, w = cam.shape
    k = max(1, int(h * w * ratio))
    lowest = torch.topk(
        cam.amax(dim=1).reshape(n, -1), k=k, dim=-1, largest=False)[0]
    return F.relu(lowest).sum() / (k * n)


def equivariant_regularisation_loss(cam_a: Tensor, cam_b: Tensor) -> Tensor:
    """SEAM's ER: mean L1 distance between two views' CAMs on one grid.

    ``loss_er = torch.mean(torch.abs(cam1[:,1:,:,:]-cam2[:,1:,:,:]))``
    (``train_SEAM.py`` line 129), where ``cam1`` is the first view's CAM
    rescaled by the second view's factor (line 116). ``cam_a`` is resized
    here to ``cam_b``'s size (bilinear, ``align_corners=True``, as line 116;
    with ``align_corners`` the result depends on the sizes only, so this
    equals SEAM's ``scale_factor`` resize). For an equivariant network the
    loss is 0.

    Args:
        cam_a (Tensor): Foreground CAMs of the first view (N, K, H, W),
            normalised (:func:`max_norm`) and masked by the labels.
        cam_b (Tensor): The same for the rescaled view (N, K, h, w).

    Returns:
        Tensor: Scalar loss.
    """
    if cam_a.shape[-2:] != cam_b.shape[-2:]:
        cam_a = F.interpolate(
            cam_a, cam_b.shape[-2:], mode='bilinear', align_corners=True)
    return (cam_a - cam_b).abs().mean()


def equivariant_cross_regularisation_loss(cam_rv: Tensor,
                                          cam_other: Tensor,
                                          topk: float = 0.2) -> Tensor:
    """SEAM's ECR: top-k L1 between a PCM output and the other view's CAM.

    ``tensor_ecr1 = torch.abs(max_onehot(cam2.detach()) - cam_rv1)`` and
    ``torch.mean(torch.topk(tensor_ecr1.view(ns,-1),
    k=(int)(21*hs*ws*0.2), dim=-1)[0])`` (``train_SEAM.py`` lines 135-138):
    the largest ``topk`` fraction of the (K + 1) x H x W errors of each
    image, averaged. The target is detached: only the PCM output learns.
    SEAM adds the loss of both directions.

    Args:
        cam_rv (Tensor): PCM output of one view (N, K + 1, H, W),
            normalised (:func:`max_norm`) and masked by the labels.
        cam_other (Tensor): The other view's CAM on the same grid
            (N, K + 1, H, W), with its background channel
            (:func:`with_background`).
        topk (float): Fraction of the errors kept. Defaults to 0.2.

    Returns:
        Tensor: Scalar loss.
    """
    n = cam_rv.shape[0]
    errors = (max_onehot(cam_other.detach()) - cam_rv).abs().reshape(n, -1)
    k = max(1, int(errors.shape[1] * topk))
    return torch.topk(errors, k=k, dim=-1)[0].mean()
