"""Loading of an image's CAM file for refinement (AffinityNet, IRN)."""
import os.path as osp

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmconta.registry import TRANSFORMS
from mmconta.utils import load_cam_file, upsample_cam


@TRANSFORMS.register_module()
class LoadCAM(BaseTransform):
    """Load ``results['cam_path']``, a file of :class:`CAMGenerationLoop`.

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

    The path comes from the dataset (``cam_dir`` of
    :class:`BaseWSSSDataset`, which the round loop sets to ``round_<t>/cam``).

    Required keys: ``cam_path``, ``img``, ``img_id``; optional:
    ``img_labels``. Added: ``cam``, ``cam_keys``.
    """

    def transform(self, results: dict) -> dict:
        path = results.get('cam_path')
        if path is None:
            raise KeyError(
                f'image {results["img_id"]} has no cam_path: set the '
                "dataset's cam_dir (the round loop sets round_<t>/cam)")
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
