"""Pictures of CAMs and masks."""
from typing import Optional, Sequence

import cv2
import numpy as np
from mmseg.visualization import SegLocalVisualizer

from mmconta.registry import VISUALIZERS
from mmconta.utils import voc_palette


@VISUALIZERS.register_module()
class CAMVisualizer(SegLocalVisualizer):
    """mmseg's visualizer plus a row of CAMs and masks per image.

    :meth:`add_cam_sample` draws: the image | for each labelled class its
    CAM as a jet heat map over the image, titled with the class name | the
    pseudo-mask (ignore in white) | the ground truth, and stores it through
    the visualizer's backends (``LocalVisBackend`` writes
    ``<save_dir>/vis_data/vis_image/<name>_<step>.png``).
    """

    def add_cam_sample(self,
                       name: str,
                       image: np.ndarray,
                       cams: np.ndarray,
                       keys: Sequence[int],
                       class_names: Sequence[str],
                       pseudo_mask: Optional[np.ndarray] = None,
                       gt_mask: Optional[np.ndarray] = None,
                       step: int = 0) -> np.ndarray:
        """Draw and store one image's row; return it (RGB uint8).

        Args:
            name (str): Image name.
            image (np.ndarray): (H, W, 3) uint8 RGB.
            cams (np.ndarray): (K_img, H, W) CAMs in [0, 1].
            keys (Sequence[int]): Foreground class index of each CAM.
            class_names (Sequence[str]): All classes, background first.
            pseudo_mask (np.ndarray, optional): (H, W) ids, 255 = ignore.
            gt_mask (np.ndarray, optional): (H, W) ids, 255 = ignore.
            step (int): Global step. Defaults to 0.
        """
        image = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
        panels = [image]
        for cam, key in zip(cams, keys):
            heat = cv2.applyColorMap(
                np.uint8(255 * np.clip(cam, 0, 1)), cv2.COLORMAP_JET)
            blend = (0.5 * image + 0.5 * heat[..., ::-1]).astype(np.uint8)
            panels.append(self._titled(blend, class_names[int(key) + 1]))
        for title, mask in (('pseudo', pseudo_mask), ('gt', gt_mask)):
            if mask is not None:
                panels.append(self._titled(self._colour(image, mask), title))
        row = np.concatenate(panels, axis=1)
        self.add_image(name, row, step)
        return row

    @staticmethod
    def _colour(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        palette = np.asarray(voc_palette(256), np.uint8)
        palette[255] = 255  # ignore in white
        colours = palette[np.asarray(mask, np.int64)]
        return (0.4 * image + 0.6 * colours).astype(np.uint8)

    @staticmethod
    def _titled(panel: np.ndarray, title: str) -> np.ndarray:
        panel = panel.copy()
        scale = max(panel.shape[0] / 400, 0.3)
        cv2.putText(panel, title, (2, int(14 * scale) + 2),
                    cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255),
                    max(int(scale * 2), 1), cv2.LINE_AA)
        return panel
