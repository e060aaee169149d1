"""Pseudo-masks from CAMs, written as PNGs that a rerun reads back."""
import os.path as osp
from typing import Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from mmconta.models.utils import cam_to_pseudo_mask
from mmconta.utils import save_index_mask


class PseudoMaskWriter:
    """Write ``<out_dir>/<img_id>.png`` from an image's full-resolution CAM.

    The mask is ``cam_to_pseudo_mask``'s (IRN's background threshold,
    optional ignore band and dense CRF), saved atomically as a palette PNG
    with the dataset's colours (255 = ignore). A mask already on disk is
    read back instead, so a resumed run neither recomputes nor rewrites it.

    Args:
        out_dir (str): Output folder.
        bg_thr (float): Background threshold.
        ignore_band (tuple[float, float], optional): ``cam_to_pseudo_mask``'s
            ignore band. Defaults to None.
        crf (dict, optional): ``cam_to_pseudo_mask``'s dense CRF settings.
            Defaults to None.
        palette (Sequence): RGB colours of the dataset's classes.
            Defaults to ().
    """

    # The keys of ``CAMGenerationLoop``'s ``pseudo_mask`` setting.
    CONFIG_KEYS = ('out_dir', 'bg_thr', 'ignore_band', 'crf')

    def __init__(self,
                 out_dir: str,
                 bg_thr: float,
                 ignore_band: Optional[Tuple[float, float]] = None,
                 crf: Optional[dict] = None,
                 palette: Sequence[Sequence[int]] = ()) -> None:
        self.out_dir = out_dir
        self.bg_thr = bg_thr
        self.ignore_band = ignore_band
        self.crf = crf
        self.palette = palette

    @classmethod
    def from_config(cls, cfg: dict, default_out_dir: str,
                    palette: Sequence[Sequence[int]] = ()
                    ) -> 'PseudoMaskWriter':
        """A writer from a loop's ``pseudo_mask`` dict, checking its keys.

        Args:
            cfg (dict): Some of :attr:`CONFIG_KEYS`; ``bg_thr`` required.
            default_out_dir (str): The folder when ``out_dir`` is unset.
            palette (Sequence): RGB colours of the dataset's classes.
                Defaults to ().
        """
        unknown = set(cfg) - set(cls.CONFIG_KEYS)
        if unknown:
            raise ValueError(f'pseudo_mask: unknown keys {sorted(unknown)}; '
                             f'expected some of {cls.CONFIG_KEYS}')
        if 'bg_thr' not in cfg:
            raise ValueError(f'pseudo_mask needs bg_thr, got {cfg}')
        return cls(
            out_dir=cfg.get('out_dir') or default_out_dir,
            bg_thr=cfg['bg_thr'],
            ignore_band=cfg.get('ignore_band'),
            crf=cfg.get('crf'),
            palette=palette)

    def mask_path(self, img_id: str) -> str:
        """Where the pseudo-mask of ``img_id`` goes."""
        return osp.join(self.out_dir, f'{img_id}.png')

    def write(self, img_id: str, high_res: np.ndarray, keys: np.ndarray,
              image: np.ndarray) -> np.ndarray:
        """The image's pseudo-mask: read back if written before, else made.

        Args:
            img_id (str): The image id.
            high_res (np.ndarray): (K_img, H, W) max-normalised CAM.
            keys (np.ndarray): (K_img,) foreground class indices.
            image (np.ndarray): (H, W, 3) uint8 RGB image, for the CRF.

        Returns:
            np.ndarray: (H, W) uint8 mask ids, 255 = ignore.
        """
        path = self.mask_path(img_id)
        if osp.exists(path):
            with Image.open(path) as img:
                return np.asarray(img)
        mask = np.asarray(
            cam_to_pseudo_mask(
                high_res, keys, self.bg_thr, ignore_band=self.ignore_band,
                image=image, crf=self.crf),
            dtype=np.uint8)
        save_index_mask(path, mask, self.palette)
        return mask
