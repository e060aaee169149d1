"""Loading of an image's CAM file for refinement (AffinityNet, IRN)."""
import os.path as osp

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmconta.registry import TRANSFORMS
from mmconta.utils import cam_file_path, load_cam_file, upsample_cam


@TRANSFORMS.register_module()
class LoadCAM(BaseTransform):
    """Load ``<cam_dir>/<img_id>.npz`` of :class:`CAMGenerationLoop`.

    Sets ``results['cam']``, the full-resolution max-normalised CAM
    (K_img, H, W) float32 of the image's labelled classes, and
    ``results['cam_keys']`` (K_img,) int64, their class indices;
    :class:`PackWSSSInputs` packs them as ``data_sample.cam`` (PixelData)
    and ``data_sample.cam_keys``. A file written without ``high_res`` has
    its stride-4 ``cam`` upsampled bilinearly, as the CAM loop does.

    The CAM is not a segmentation field: no transform resizes or crops it,
    so it belongs in test pipelines that keep the image at its own size.
    The file is checked by :func:`mmconta.utils.load_cam_file`: a CAM whose
    size or keys disagree with the image is an error naming the file.

    Args:
        cam_dir (str): The folder of a CAM run (``round_<t>/cam``).
    """

    def __init__(self, cam_dir: str) -> None:
        self.cam_dir = cam_dir

    def transform(self, results: dict) -> dict:
        path = cam_file_path(self.cam_dir, results['img_id'])
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'no CAM file for image {results["img_id"]}: {path}')
        size = results['img'].shape[:2]
        labelled = np.flatnonzero(results['img_labels']) \
            if 'img_labels' in results else None
        cam_file = load_cam_file(
            path, expected_keys=labelled, image_size=size)
        cam = cam_file.high_res
        if cam is None:
            cam = upsample_cam(torch.from_numpy(cam_file.cam), size).numpy()
        results['cam'] = cam
        results['cam_keys'] = cam_file.keys
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(cam_dir={self.cam_dir!r})'
