"""Multi-scale CAM inference (the computation of IRN's ``step/make_cam.py``).

Pure functions of a CAM model and a batch of images: no files, no
processes. ``CAMGenerationLoop`` runs them over a dataset;
``tools/benchmark/cam_speed.py`` times them.
"""
import copy
import logging
import math
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from torch import Tensor, nn
from torch.fx.experimental.optimization import fuse

# multi_scale_cams' autocast option; None is float32.
AUTOCAST_DTYPES = {None: None, 'bfloat16': torch.bfloat16,
                   'float16': torch.float16}


def multi_scale_cams(model: nn.Module,
                     inputs: Tensor,
                     keys: Sequence[Tensor],
                     scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
                     flip: bool = True,
                     output_stride: int = 16,
                     high_res: bool = True,
                     channels_last: bool = True,
                     max_forward_pixels: Optional[int] = 2 * 320 * 320,
                     context: Optional[Tensor] = None,
                     autocast: Optional[str] = None
                     ) -> List[Tuple[Tensor, Optional[Tensor]]]:
    """IRN's multi-scale, flipped CAMs of a batch of equal-sized images.

    For each scale ``s`` the normalised images are resized to
    ``round(H*s) x round(W*s)`` (bilinear, ``align_corners=False``) and,
    with ``flip``, stacked with their horizontal flips, so one
    ``model.cam`` call serves every image and its flip. After ReLU the
    flipped maps are flipped back and added. Only the channels some image
    of the batch is labelled with are kept before any upsampling: every
    later step is per channel, so this equals IRN's computing all classes
    and selecting afterwards. Each scale's map is upsampled (bilinear,
    ``align_corners=False``) to the stride-4 size ``ceil(H/4) x ceil(W/4)``
    and, for ``high_res``, to the size padded to a multiple of
    ``output_stride`` and then cropped to ``H x W``, as IRN does (it keeps
    the feature grid aligned with the pixels instead of stretching it to
    ``H x W``). The scales are summed and each class is divided by its
    maximum + 1e-5.

    Note:
        IRN rescales the uint8 image with PIL's bicubic filter before
        normalising; here the normalised tensor is resized bilinearly, which
        batches on the device and keeps scale 1.0 untouched.

    Args:
        model (nn.Module): Has ``cam(inputs) -> (N, K, h, w)`` (before ReLU).
        inputs (Tensor): Normalised images, (B, 3, H, W).
        keys (Sequence[Tensor]): Per image, the int64 foreground class
            indices to keep.
        scales (Sequence[float]): Image scales. Defaults to IRN's
            (1.0, 0.5, 1.5, 2.0).
        flip (bool): Add the horizontally flipped image's CAM.
            Defaults to True.
        output_stride (int): The classifier's feature stride, used to pad
            the high-resolution upsampling target. Defaults to 16.
        high_res (bool): Also compute the full-resolution CAM.
            Defaults to True.
        channels_last (bool): Feed the model channels-last images (for a
            model converted with ``memory_format=torch.channels_last``).
            Defaults to True.
        max_forward_pixels (int, optional): Split each scale's forward into
            chunks of at most this many pixels (images x h x w, at least one
            image); None runs one forward per scale. Per image, large batches
            are slower on a CPU (cache-bound) and gain little on a GPU once
            this size is reached. Defaults to 2 * 320 * 320.
        context (Tensor, optional): CONTA's M (B, 1, h, w) in image
            coordinates, for a model whose CAMs depend on it
            (``model.cam(inputs, context)``): flipped with the flipped
            images; the model resizes it to each scale. Defaults to None.
        autocast (str, optional): Run the model's forward under
            ``torch.autocast`` in this dtype (``'bfloat16'`` or
            ``'float16'``); its output and every later step stay float32.
            Defaults to None: float32 throughout.

    Returns:
        list[tuple[Tensor, Tensor | None]]: Per image, the stride-4 CAM
        (K_img, ceil(H/4), ceil(W/4)) and the full-resolution CAM
        (K_img, H, W) or None, on the inputs' device.
    """
    num, height, width = inputs.shape[0], inputs.shape[-2], inputs.shape[-1]
    if autocast not in AUTOCAST_DTYPES:
        raise ValueError(f'autocast must be one of {list(AUTOCAST_DTYPES)}, '
                         f'got {autocast!r}')
    dtype = AUTOCAST_DTYPES[autocast]

    def forward(images: Tensor, contexts: Optional[Tensor]) -> Tensor:
        with torch.autocast(inputs.device.type, dtype=dtype,
                            enabled=dtype is not None):
            cams = model.cam(images) if contexts is None else model.cam(
                images, contexts)
        return cams.float()

    union = torch.unique(torch.cat([k.reshape(-1) for k in keys]).cpu())
    strided_size = (math.ceil(height / 4), math.ceil(width / 4))
    padded_size = (math.ceil(height / output_stride) * output_stride,
                   math.ceil(width / output_stride) * output_stride)
    strided = inputs.new_zeros((num, len(union), *strided_size))
    full = inputs.new_zeros((num, len(union), height, width)) \
        if high_res else None
    if len(union):
        channels = union.to(inputs.device)
        for scale in scales:
            size = (int(np.round(height * scale)),
                    int(np.round(width * scale)))
            images = inputs if size == (height, width) else F.interpolate(
                inputs, size=size, mode='bilinear', align_corners=False)
            contexts = context
            if flip:
                images = torch.cat([images, images.flip(-1)])
                if context is not None:
                    contexts = torch.cat([context, context.flip(-1)])
            if channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            chunk = len(images) if max_forward_pixels is None else max(
                1, max_forward_pixels // (size[0] * size[1]))
            cams = F.relu(
                torch.cat([
                    forward(images[i:i + chunk], None if contexts is None else
                            contexts[i:i + chunk])[:, channels]
                    for i in range(0, len(images), chunk)
                ]))
            if flip:
                cams = cams[:num] + cams[num:].flip(-1)
            strided += F.interpolate(
                cams, strided_size, mode='bilinear', align_corners=False)
            if full is not None:
                full += F.interpolate(
                    cams, padded_size, mode='bilinear',
                    align_corners=False)[..., :height, :width]
    outputs = []
    for index, image_keys in enumerate(keys):
        rows = torch.searchsorted(union, image_keys.cpu()).to(inputs.device)
        outputs.append(
            tuple(
                None if cam is None else _max_normalise(cam[index, rows])
                for cam in (strided, full)))
    return outputs


def prepare_cam_model(model: nn.Module,
                      channels_last: bool = True,
                      fuse_conv_bn: bool = True) -> nn.Module:
    """An inference copy of a CAM model, made faster without changing it.

    The copy is in eval mode; with ``fuse_conv_bn`` the backbone's
    convolutions absorb their eval-mode batch norms (``torch.fx`` fusion:
    the same function up to float rounding, about 1e-6 relative here), and
    with ``channels_last`` its weights use the layout oneDNN and cuDNN
    convolve fastest. A backbone that ``torch.fx`` cannot trace (or a model
    without ``backbone``) stays unfused, with a warning. The runner's model
    is left untouched.

    Args:
        model (nn.Module): A CAM model (``cam(inputs)``).
        channels_last (bool): Convert the weights to channels-last.
            Defaults to True.
        fuse_conv_bn (bool): Fold ``model.backbone``'s batch norms into its
            convolutions. Defaults to True.

    Returns:
        nn.Module: The prepared copy.
    """
    model = copy.deepcopy(model).eval()
    # A backbone taking CONTA's M through a forward hook stays unfused:
    # fusion would replace the hooked convolution.
    if fuse_conv_bn and not getattr(model, 'context_at_cam', False):
        try:
            model.backbone = fuse(model.backbone)
        except Exception as e:  # not every backbone is fx-traceable
            print_log(f'conv-BN fusion skipped ({type(e).__name__}: {e})',
                      logger='current', level=logging.WARNING)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    return model


def _max_normalise(cam: Tensor) -> Tensor:
    """Divide each class map by its maximum + 1e-5 (IRN)."""
    return cam / (cam.amax(dim=(-2, -1), keepdim=True) + 1e-5)
