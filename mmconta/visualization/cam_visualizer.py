"""Pictures of CAMs, pseudo-masks and ground truth, one row per image."""
from typing import Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmseg.visualization import SegLocalVisualizer

from mmconta.registry import VISUALIZERS
from mmconta.utils import voc_palette

ArrayLike = Union[np.ndarray, torch.Tensor]


def _as_numpy(x: ArrayLike) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


@VISUALIZERS.register_module()
class CAMVisualizer(SegLocalVisualizer):
    """mmseg's visualizer plus a row of CAMs and masks per image.

    :meth:`add_cam_sample` draws, left to right: the image | for each
    labelled class its CAM as a jet heat map blended over the image, titled
    with the class name | the pseudo-mask (ignore in white) | the ground
    truth, and stores the row through the visualizer's backends
    (``LocalVisBackend`` writes
    ``<save_dir>/vis_data/vis_image/<name>_<step>.png``). Masks take the
    palette of ``dataset_meta`` when its classes are the ones drawn, else
    PASCAL VOC's. Built like any mmseg visualizer (``name``,
    ``vis_backends``, ``save_dir``, ...).
    """

    def add_cam_sample(self,
                       name: str,
                       image: ArrayLike,
                       cams: ArrayLike,
                       keys: ArrayLike,
                       class_names: Sequence[str],
                       pseudo_mask: Optional[ArrayLike] = None,
                       gt_mask: Optional[ArrayLike] = None,
                       step: int = 0) -> np.ndarray:
        """Draw and store one image's row; return it.

        Args:
            name (str): Image name, the stored file's stem.
            image (np.ndarray | Tensor): (H, W, 3) uint8 RGB image.
            cams (np.ndarray | Tensor): (K_img, H, W) CAMs in [0, 1].
            keys (np.ndarray | Tensor | Sequence[int]): (K_img,) foreground
                class index of each CAM.
            class_names (Sequence[str]): All classes, background first.
            pseudo_mask (np.ndarray | Tensor, optional): (H, W) mask ids,
                255 = ignore. Defaults to None (no panel).
            gt_mask (np.ndarray | Tensor, optional): (H, W) mask ids,
                255 = ignore. Defaults to None (no panel).
            step (int): Global step, the stored file's suffix. Defaults to 0.

        Returns:
            np.ndarray: (H, W * panels, 3) uint8 RGB row.
        """
        image = np.ascontiguousarray(_as_numpy(image), dtype=np.uint8)
        cams, keys = _as_numpy(cams), _as_numpy(keys).reshape(-1)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'CAMVisualizer: image must be (H, W, 3) RGB, '
                             f'got shape {image.shape} ({name})')
        if cams.ndim != 3 or cams.shape[1:] != image.shape[:2] or \
                len(cams) != len(keys):
            raise ValueError(
                f'CAMVisualizer: cams {cams.shape} must be (K_img, H, W) '
                f'with K_img = {len(keys)} keys and H, W = {image.shape[:2]} '
                f'({name})')
        palette = self._palette(class_names)

        panels = [image]
        for cam, key in zip(cams, keys):
            heat = cv2.applyColorMap(
                np.uint8(255 * np.clip(cam, 0, 1)), cv2.COLORMAP_JET)
            # OpenCV's colour maps are BGR.
            blend = (0.5 * image + 0.5 * heat[..., ::-1]).astype(np.uint8)
            panels.append(self._titled(blend, class_names[int(key) + 1]))
        for title, mask in (('pseudo-mask', pseudo_mask), ('GT', gt_mask)):
            if mask is None:
                continue
            mask = _as_numpy(mask).reshape(image.shape[:2]).astype(np.int64)
            colours = palette[np.clip(mask, 0, 255)]
            panels.append(
                self._titled((0.4 * image + 0.6 * colours).astype(np.uint8),
                             title))
        row = np.concatenate(panels, axis=1)
        self.add_image(name, row, step)
        return row

    def _palette(self, class_names: Sequence[str]) -> np.ndarray:
        """(256, 3) uint8 colours: the dataset's if it is the one drawn."""
        palette = np.asarray(voc_palette(256), np.uint8)
        # mmseg's visualizer defaults to Cityscapes' meta: use the dataset
        # palette only when its classes are the ones being drawn.
        meta = getattr(self, 'dataset_meta', None) or {}
        if meta.get('palette') is not None and \
                tuple(meta.get('classes', ())) == tuple(class_names):
            colours = np.asarray(meta['palette'], np.uint8).reshape(-1, 3)
            palette[:min(len(colours), 255)] = colours[:255]
        palette[255] = 255  # ignore in white
        return palette

    @staticmethod
    def _titled(panel: np.ndarray, title: str) -> np.ndarray:
        """The panel with ``title`` in white on a black strip, top left."""
        panel = panel.copy()
        scale = max(panel.shape[0] / 400, 0.35)
        thickness = max(int(scale * 1.5), 1)
        (width, height), base = cv2.getTextSize(
            title, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        cv2.rectangle(panel, (0, 0), (width + 4, height + base + 4),
                      (0, 0, 0), -1)
        cv2.putText(panel, title, (2, height + 2), cv2.FONT_HERSHEY_SIMPLEX,
                    scale, (255, 255, 255), thickness, cv2.LINE_AA)
        return panel
