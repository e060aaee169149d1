"""What AffinityNet and IRN share: pair labels on a grid and the walk."""
import math
from abc import abstractmethod
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from torch import Tensor

from mmconta.registry import MODELS
from ..utils.random_walk import random_walk


def masked_mean(values: Tensor, mask: Tensor, scale: float = 1.) -> Tensor:
    """``sum(values * mask) / (scale * sum(mask) + 1e-5)``.

    The normalisation of PSA's ``train_aff.py`` and IRN's
    ``step/train_irn.py``: an average over the selected pairs, 0 when none
    is selected. IRN's displacement terms use ``scale=2``, averaging over
    the two components too.
    """
    return (values * mask).sum() / (scale * mask.sum() + 1e-5)


def affinity_log_losses(aff: Tensor) -> Tuple[Tensor, Tensor]:
    """Per-pair losses of a positive and of a negative pair.

    ``-log(aff + 1e-5)`` and ``-log(1 + 1e-5 - aff)``, as PSA's
    ``train_aff.py`` and IRN's ``AffinityDisplacementLoss.forward`` write
    them.
    """
    return -torch.log(aff + 1e-5), -torch.log(1. + 1e-5 - aff)


def resize_levels(feats: Sequence[Tensor],
                  size: Tuple[int, int]) -> List[Tensor]:
    """Bring feature maps to one size, bilinearly where they differ.

    For backbones whose levels have different strides (IRN upsamples its
    coarser levels to stride 4; ResNet-38d's b4, b5, b7 all have stride 8,
    so nothing changes there).
    """
    return [
        f if tuple(f.shape[-2:]) == tuple(size) else F.interpolate(
            f, size=size, mode='bilinear', align_corners=False)
        for f in feats
    ]


class BaseRefiner(BaseModel):
    """A network of pixel affinities that refines CAMs by a random walk.

    Subclasses (:class:`AffinityNet`, :class:`IRNet`) predict, on a grid of
    ``stride`` pixels, a map from which the affinity of every pixel pair
    follows, and train it on pair labels taken from CAM-derived masks
    (0 background, k + 1 class k, 255 unsure). This class holds the rest:

    * ``'loss'``: the mask ``gt_sem_seg`` is brought to the grid by nearest
      sampling at cell centres (PSA ``RescaleNearest(0.125)``, IRN
      ``pil_rescale(label, 0.25, 0)``; padding of an input that is not a
      multiple of the stride is unsure) and handed to ``pair_losses``.
    * ``'predict'``: per image, the padding added by the data preprocessor
      is cropped off, the image is zero-padded to a multiple of ``stride``
      (PSA's ``infer_aff.py``) and its affinity map computed (averaged with
      that of its flip when ``flip``); ``data_sample.cam`` (K_img, H, W) is
      padded with zeros and average-pooled by ``stride`` onto the grid (PSA
      pools its CAMs the same way; IRN uses its classifier's stride-4 CAMs
      instead), walked (:func:`random_walk`), upsampled bilinearly by
      ``stride`` and cropped to H x W. Background is PSA's or IRN's:

      - ``bg_alpha`` (PSA, SEAM ``infer_aff.py``): the plane
        ``(1 - max_k cam_k) ** bg_alpha`` is built at full resolution,
        before pooling, and walked with the CAMs;
      - ``bg_thr`` (IRN ``step/make_sem_seg_labels.py``): the walked CAMs
        are upsampled, divided by their maximum over classes and pixels,
        and the constant plane ``bg_thr`` prepended.

      With ``class_norm`` each walked class plane is divided by its own
      peak first, as the CAMs themselves are: a small object's walked
      score then meets the background on the same scale as a large one's
      (with IRN's single peak over all classes it falls under ``bg_thr``
      beside a larger object).

      With ``cam_mix`` = m > 0 each walked plane, after these
      normalisations, becomes ``walked ** (1 - m) * start ** m``, where
      ``start`` is the full-resolution plane the walk started from (the
      CAM; PSA's background plane): the walk still cuts a CAM at the
      boundaries it learned, but it can no longer carry a score far past
      what the CAM supports. At m = 0.5 with ``bg_thr`` 0.5 the score meets
      the background on the seeds' own scale.

      The argmax over background and the image's classes becomes
      ``pred_sem_seg``: mask ids 0 and ``cam_keys + 1``. An image with no
      labelled class is all background.
    * ``'tensor'``: the affinity map of ``affinity_map``.

    Args:
        backbone (dict): Backbone config; the backbone returns a tuple of
            feature maps.
        data_preprocessor (dict, optional): e.g. mmseg's
            ``SegDataPreProcessor`` (pads masks with 255). Defaults to None.
        stride (int): Pixels per cell of the affinity grid.
            Defaults to 8 (PSA).
        train_radius (int): Radius of the trained pairs. Defaults to 5
            (PSA).
        radius (int): Radius of the walk's affinity. Defaults to 5.
        beta (float): Power of the walk's affinity. Defaults to 8 (PSA).
        logt (int): The walk takes ``2 ** logt`` steps. Defaults to 8.
        bg_alpha (float, optional): PSA's background power.
            Defaults to None.
        bg_thr (float, optional): IRN's background threshold; exactly one
            of ``bg_alpha`` and ``bg_thr`` is given. Defaults to None.
        class_norm (bool): Divide each walked class plane by its own peak
            before the background competes (not in PSA, IRN or SEAM).
            Defaults to False.
        cam_mix (float): Weight m in [0, 1] of the starting planes in the
            geometric mix ``walked ** (1 - m) * start ** m`` (not in PSA,
            IRN or SEAM). Defaults to 0 (the walked score alone).
        squaring (bool): Walk by squaring the transition matrix, as the
            references do; False multiplies the CAMs step by step
            (:func:`random_walk`). Defaults to True.
        flip (bool): Average the affinity maps of the image and its flip at
            prediction, as IRN's ``EdgeDisplacement`` does. Defaults to
            False.
        freeze_backbone (bool): Keep the backbone fixed (eval mode, no
            gradients), as IRN does. Defaults to False.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 data_preprocessor: Optional[dict] = None,
                 stride: int = 8,
                 train_radius: int = 5,
                 radius: int = 5,
                 beta: float = 8.,
                 logt: int = 8,
                 bg_alpha: Optional[float] = None,
                 bg_thr: Optional[float] = None,
                 class_norm: bool = False,
                 cam_mix: float = 0.,
                 squaring: bool = True,
                 flip: bool = False,
                 freeze_backbone: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        name = type(self).__name__
        if (bg_alpha is None) == (bg_thr is None):
            raise ValueError(f'{name}: give exactly one of bg_alpha (PSA) '
                             f'and bg_thr (IRN), got {bg_alpha!r} and '
                             f'{bg_thr!r}')
        if isinstance(stride, bool) or not isinstance(stride, int) \
                or stride < 1:
            raise ValueError(f'{name}: stride must be an int >= 1, '
                             f'got {stride!r}')
        if isinstance(cam_mix, bool) or not 0 <= cam_mix <= 1:
            raise ValueError(f'{name}: cam_mix must be a number in [0, 1], '
                             f'got {cam_mix!r}')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.stride = stride
        self.train_radius = train_radius
        self.radius = radius
        self.beta = beta
        self.logt = logt
        self.bg_alpha = bg_alpha
        self.bg_thr = bg_thr
        self.class_norm = class_norm
        self.cam_mix = cam_mix
        self.squaring = squaring
        self.flip = flip
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            self.backbone.requires_grad_(False)

    def train(self, mode: bool = True) -> 'BaseRefiner':
        """Switch modes; a frozen backbone stays in eval mode."""
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        return self

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """The backbone's feature maps (detached when it is frozen)."""
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze_backbone):
            return tuple(self.backbone(inputs))

    def grid_size(self, height: int, width: int) -> Tuple[int, int]:
        """Cells of the affinity grid over an image: ``ceil(size /
        stride)``."""
        return math.ceil(height / self.stride), math.ceil(width / self.stride)

    def _pad_to_grid(self, x: Tensor, value: float) -> Tensor:
        """Pad the last two dims right and bottom to whole cells."""
        height, width = x.shape[-2:]
        rows, cols = self.grid_size(height, width)
        return F.pad(
            x, (0, cols * self.stride - width, 0, rows * self.stride - height),
            value=value)

    @abstractmethod
    def affinity_map(self, inputs: Tensor) -> Tensor:
        """The map the affinities follow from, on the grid of ``inputs``.

        Args:
            inputs (Tensor): (N, 3, H, W) normalised images.

        Returns:
            Tensor: (N, C, h, w) with ``(h, w) = grid_size(H, W)``.
        """

    @abstractmethod
    def pair_losses(self, inputs: Tensor, label: Tensor) -> Dict[str, Tensor]:
        """Weighted losses of the pairs of ``label``.

        Args:
            inputs (Tensor): (N, 3, H, W) normalised images.
            label (Tensor): (N, h, w) mask ids on the grid of ``inputs``,
                255 = unsure.

        Returns:
            dict[str, Tensor]: Losses, already weighted.
        """

    @abstractmethod
    def dense_affinity(self,
                       aff_map: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
        """Dense affinity of one image for the walk.

        Args:
            aff_map (Tensor): (C, h, w) affinity map of one image.

        Returns:
            tuple[Tensor, Tensor | None]: (h*w, h*w) affinities, beta
            applied, and the (h, w) boundary that masks the CAMs before the
            walk (IRN) or None.
        """

    def loss(self, inputs: Tensor,
             data_samples: List[SegDataSample]) -> Dict[str, Tensor]:
        """Pair losses against the masks of ``data_samples``.

        Args:
            inputs (Tensor): (N, 3, H, W) normalised images.
            data_samples (list[SegDataSample]): With ``gt_sem_seg`` at the
                size of ``inputs``.

        Returns:
            dict[str, Tensor]: The subclass's weighted losses.
        """
        label = torch.stack([s.gt_sem_seg.data[0] for s in data_samples])
        if label.shape[-2:] != inputs.shape[-2:]:
            raise ValueError(f'{type(self).__name__}: masks of shape '
                             f'{tuple(label.shape)} do not match inputs of '
                             f'shape {tuple(inputs.shape)}')
        # Cell centres: what PIL's nearest resize by 1 / stride samples.
        centre = self.stride // 2
        label = self._pad_to_grid(label, 255)[..., centre::self.stride,
                                              centre::self.stride]
        return self.pair_losses(inputs, label.long())

    @torch.no_grad()
    def refine(self, image: Tensor, cam: Tensor, keys: Tensor) -> Tensor:
        """Refined mask of one image.

        Args:
            image (Tensor): (3, H, W) normalised image, without padding.
            cam (Tensor): (K_img, H, W) max-normalised CAMs of the image's
                classes.
            keys (Tensor): (K_img,) their class indices.

        Returns:
            Tensor: (H, W) long mask ids, 0 = background, ``key + 1``.
        """
        height, width = image.shape[-2:]
        if not len(keys):
            return torch.zeros(
                height, width, dtype=torch.long, device=image.device)
        batch = self._pad_to_grid(image, 0.)[None]
        if self.flip:
            batch = torch.cat([batch, batch.flip(-1)])
        maps = self.affinity_map(batch)
        aff_map = maps[0] if not self.flip else (maps[0] +
                                                 maps[1].flip(-1)) / 2
        affinity, boundary = self.dense_affinity(aff_map)

        cam = cam.to(affinity)
        if self.bg_alpha is not None:
            # PSA builds this plane at full resolution, before pooling.
            background = (1 - cam.amax(0, keepdim=True)).pow(self.bg_alpha)
            cam = torch.cat([background, cam])
        walked = random_walk(
            affinity,
            F.avg_pool2d(self._pad_to_grid(cam, 0.)[None], self.stride)[0],
            self.logt,
            boundary=boundary,
            squaring=self.squaring)
        score = F.interpolate(
            walked[None],
            scale_factor=self.stride,
            mode='bilinear',
            align_corners=False)[0, :, :height, :width]
        if self.class_norm:
            first = 0 if self.bg_alpha is None else 1  # PSA's background
            peaks = score[first:].amax((1, 2), keepdim=True)
            score[first:] = score[first:] / peaks.clamp_min(1e-5)
        if self.bg_thr is not None:
            # IRN normalises after upsampling, so the background plane
            # cannot come from random_walk's bg_thr (before upsampling).
            peak = score.max()
            if peak > 0:
                score = score / peak
        if self.cam_mix:
            score = score.clamp_min(0).pow(1 - self.cam_mix) * cam.pow(
                self.cam_mix)
        if self.bg_thr is not None:
            score = F.pad(score, (0, 0, 0, 0, 1, 0), value=self.bg_thr)
        ids = F.pad(keys.to(image.device).long() + 1, (1, 0))
        return ids[score.argmax(0)]

    def predict(self, inputs: Tensor,
                data_samples: List[SegDataSample]) -> List[SegDataSample]:
        """Refine each sample's CAMs into ``pred_sem_seg``.

        Args:
            inputs (Tensor): (N, 3, H', W') normalised images, maybe padded
                by the data preprocessor.
            data_samples (list[SegDataSample]): With ``img_shape`` (the size
                before padding), ``cam`` (``PixelData``, (K_img, H, W) at
                ``img_shape``) and ``cam_keys`` (K_img,), as ``LoadCAM`` and
                ``PackWSSSInputs`` give them. The test pipeline must not
                resize the image after loading the CAMs.

        Returns:
            list[SegDataSample]: The samples with ``pred_sem_seg``
            ((1, H, W) long mask ids).
        """
        for image, sample in zip(inputs, data_samples):
            if 'cam' not in sample or 'cam_keys' not in sample:
                raise ValueError(
                    f'{type(self).__name__}.predict: sample '
                    f'{sample.metainfo.get("img_path")} has no cam and '
                    'cam_keys; add LoadCAM to the test pipeline')
            height, width = sample.img_shape[:2]
            cam = sample.cam.data
            if tuple(cam.shape[-2:]) != (height, width):
                raise ValueError(
                    f'{type(self).__name__}.predict: the CAM of '
                    f'{sample.metainfo.get("img_path")} is '
                    f'{tuple(cam.shape[-2:])} but the image is '
                    f'{(height, width)}')
            mask = self.refine(image[:, :height, :width], cam,
                               sample.cam_keys)
            sample.pred_sem_seg = PixelData(data=mask[None])
        return data_samples

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[SegDataSample]] = None,
                mode: str = 'tensor') -> Union[dict, List, Tensor]:
        """Losses, refined masks or affinity maps, as mmengine asks.

        Args:
            inputs (Tensor): (N, 3, H, W) normalised images.
            data_samples (list[SegDataSample], optional): Needed for
                ``'loss'`` (``gt_sem_seg``) and ``'predict'`` (``cam``,
                ``cam_keys``). Defaults to None.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``.
                Defaults to 'tensor'.

        Returns:
            dict | list | Tensor: As ``mode`` says.
        """
        if mode not in ('loss', 'predict', 'tensor'):
            raise ValueError("mode must be 'loss', 'predict' or 'tensor', "
                             f'got {mode!r}')
        if mode != 'tensor' and data_samples is None:
            raise ValueError(f'mode={mode!r} needs data_samples, got None')
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        return self.affinity_map(inputs)
