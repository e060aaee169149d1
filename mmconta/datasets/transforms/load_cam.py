"""Loading of an image's CAM file for refinement (AffinityNet, IRN)."""
import os.path as osp

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.transforms import BaseTransform

from mmconta.registry import TRANSFORMS


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
    A CAM whose size or keys disagree with the image is an error naming
    the file.

    Args:
        cam_dir (str): The folder of a CAM run (``round_<t>/cam``).
    """

    def __init__(self, cam_dir: str) -> None:
        self.cam_dir = cam_dir

    def transform(self, results: dict) -> dict:
        path = osp.join(self.cam_dir, results['img_id'] + '.npz')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'no CAM file for image {results["img_id"]}: {path}')
        height, width = results['img'].shape[:2]
        with np.load(path) as data:
            keys = data['keys'].astype(np.int64)
            if 'high_res' in data.files:
                cam = data['high_res'].astype(np.float32)
            else:
                cam = F.interpolate(
                    torch.from_numpy(data['cam'].astype(np.float32))[None],
                    (height, width), mode='bilinear',
                    align_corners=False)[0].numpy()
        if cam.shape != (len(keys), height, width):
            raise ValueError(
                f'{path}: CAM of shape {cam.shape} does not fit image '
                f'{results.get("img_path")} of size {(height, width)} with '
                f'{len(keys)} classes: load CAMs before any resize or crop')
        if 'img_labels' in results:
            labelled = np.flatnonzero(results['img_labels'])
            if not np.array_equal(labelled, keys):
                raise ValueError(
                    f'{path} holds classes {keys.tolist()} but image '
                    f'{results["img_id"]} is labelled {labelled.tolist()}: '
                    'CAMs of another dataset or label set')
        results['cam'] = cam
        results['cam_keys'] = keys
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(cam_dir={self.cam_dir!r})'
