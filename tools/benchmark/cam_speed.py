"""Time multi-scale CAM generation: IRN's per-image loop against mmconta's.

Both paths get the same random images, labels and weights. The reference
runs IRN's ``step/make_cam.py`` logic one image, one scale and one flip per
forward (contiguous memory, every class upsampled, then the labelled ones
selected); mmconta's path is :func:`mmconta.engine.multi_scale_cams` on
batches of ``--batch-size`` images with the model prepared as
``CAMGenerationLoop`` prepares it (:func:`mmconta.engine.prepare_cam_model`).
Each path first warms up untimed on its own shapes; then the two alternate
over chunks of ``--batch-size`` images. Its JSON is the last stdout line
(logs go to stderr)::

    python tools/benchmark/cam_speed.py [--config CFG] [--images 8]
        [--size 320] [--device cpu] [--autocast bfloat16]

``mask_agreement`` is the share of pixels whose pseudo-mask label
(background threshold ``--bg-thr``) is the same on both paths; with
``--autocast`` it measures what bfloat16 changes.
"""
import argparse
import contextlib
import json
import math
import os.path as osp
import sys
import time
from functools import partial
from typing import Callable, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import Tensor, nn

from mmconta.engine import multi_scale_cams, prepare_cam_model
from mmconta.registry import MODELS
from mmconta.utils import drop_pretrained

DEFAULT_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
    'configs', 'cam', 'cam_r50_4xb4-5e_voc12aug-512x512.py')
SCALES = (1.0, 0.5, 1.5, 2.0)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--config', default=DEFAULT_CONFIG,
        help='config whose model to time (default: IRN\'s ResNet-50 of '
        'configs/cam/cam_r50_4xb4-5e_voc12aug-512x512.py)')
    parser.add_argument('--images', type=int, default=8)
    parser.add_argument('--size', type=int, default=320,
                        help='image height and width')
    parser.add_argument('--batch-size', type=int, default=4,
                        help="mmconta's images per forward")
    parser.add_argument(
        '--max-forward-pixels', type=int, default=2 * 320 * 320,
        help="mmconta's max_forward_pixels, 0 for no limit (default: the "
        "loop's, 2*320*320)")
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    parser.add_argument(
        '--autocast', choices=['bfloat16', 'float16'],
        help="mmconta's forward under autocast (the reference stays fp32)")
    parser.add_argument(
        '--bg-thr', type=float, default=0.15,
        help='background threshold of the masks compared (IRN\'s 0.15)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def build_model(config: str) -> Tuple[nn.Module, str]:
    """The config's model with random weights."""
    init_default_scope('mmconta')
    cfg = Config.fromfile(config)
    model_cfg = cfg.model.to_dict()
    drop_pretrained(model_cfg)
    # Modules' default random init: init_weights would zero every residual
    # branch's last BN (zero_init_residual), a degenerate network.
    return MODELS.build(model_cfg), config


def reference_cams(model: nn.Module, image: Tensor, keys: Tensor,
                   scales: Sequence[float] = SCALES,
                   output_stride: int = 16) -> Tuple[Tensor, Tensor]:
    """IRN's make_cam for one normalised image (3, H, W), unbatched."""
    height, width = image.shape[-2:]
    strided_size = (math.ceil(height / 4), math.ceil(width / 4))
    padded_size = (math.ceil(height / output_stride) * output_stride,
                   math.ceil(width / output_stride) * output_stride)
    strided, full = [], []
    for scale in scales:
        size = (int(np.round(height * scale)), int(np.round(width * scale)))
        img = image[None] if scale == 1.0 else F.interpolate(
            image[None], size=size, mode='bilinear', align_corners=False)
        cam = F.relu(model.cam(img))[0] + \
            F.relu(model.cam(img.flip(-1)))[0].flip(-1)
        strided.append(
            F.interpolate(
                cam[None], strided_size, mode='bilinear',
                align_corners=False)[0])
        full.append(
            F.interpolate(
                cam[None], padded_size, mode='bilinear',
                align_corners=False)[0, :, :height, :width])
    outputs = []
    for cams in (strided, full):
        cam = torch.stack(cams).sum(0)[keys]
        outputs.append(cam / (F.adaptive_max_pool2d(cam, (1, 1)) + 1e-5))
    return outputs[0], outputs[1]


def timed(fn: Callable[[], List[Tuple[Tensor, Tensor]]],
          device: str) -> Tuple[float, List[Tuple[Tensor, Tensor]]]:
    """Seconds ``fn`` takes, with the device idle before and after."""
    if device == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    outputs = fn()
    if device == 'cuda':
        torch.cuda.synchronize()
    return time.perf_counter() - start, outputs


def main() -> None:
    args = parse_args()
    # stdout ends with the JSON line; everything else goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        result = measure(args)
    print(json.dumps(result))


def measure(args: argparse.Namespace) -> dict:
    torch.manual_seed(args.seed)
    model, source = build_model(args.config)
    model = model.to(args.device).eval()
    num_classes = model.cam(
        torch.zeros(1, 3, 32, 32, device=args.device)).shape[1]

    rng = np.random.default_rng(args.seed)
    # The first batch_size images only warm up (oneDNN/cuDNN pick kernels
    # per shape); the next ``images`` are timed.
    total = args.batch_size + args.images
    raw = torch.from_numpy(
        rng.integers(0, 256, (total, 3, args.size, args.size),
                     dtype=np.uint8))
    keys = [
        torch.from_numpy(
            np.sort(rng.choice(num_classes, rng.integers(1, 4),
                               replace=False))).long()
        for _ in range(total)
    ]
    with torch.inference_mode():
        images = model.data_preprocessor(
            dict(inputs=list(raw), data_samples=None), False)['inputs']

    fast = prepare_cam_model(model)
    max_pixels = args.max_forward_pixels or None

    def run_reference(first: int, last: int):
        with torch.no_grad():
            return [
                reference_cams(model, images[i], keys[i].to(args.device))
                for i in range(first, last)
            ]

    def run_mmconta(first: int, last: int):
        outputs = []
        with torch.inference_mode():
            for start in range(first, last, args.batch_size):
                stop = min(start + args.batch_size, last)
                outputs += multi_scale_cams(
                    fast, images[start:stop], keys[start:stop], SCALES,
                    max_forward_pixels=max_pixels, autocast=args.autocast)
        return outputs

    run_reference(0, 1)
    run_mmconta(0, args.batch_size)
    # Alternate which path goes first per chunk of images, so that a
    # machine whose speed drifts (shared cores) favours neither.
    reference_s = mmconta_s = 0.0
    expected, actual = [], []
    for chunk, first in enumerate(range(args.batch_size, total,
                                        args.batch_size)):
        last = min(first + args.batch_size, total)
        runs = [('reference', run_reference), ('mmconta', run_mmconta)]
        for name, run in runs if chunk % 2 == 0 else runs[::-1]:
            seconds, outputs = timed(partial(run, first, last), args.device)
            if name == 'reference':
                reference_s += seconds
                expected += outputs
            else:
                mmconta_s += seconds
                actual += outputs
    max_abs_diff = max(
        float((a - e).abs().max()) for pair_a, pair_e in zip(actual, expected)
        for a, e in zip(pair_a, pair_e))
    # The pseudo-masks the two give: background where no class reaches
    # bg_thr, else the strongest class (cam_to_pseudo_mask without CRF).
    agree = total_pixels = 0
    for (_, mine), (_, theirs) in zip(actual, expected):
        masks = [
            torch.cat([torch.full_like(cam[:1], args.bg_thr), cam]).argmax(0)
            for cam in (mine, theirs)
        ]
        agree += int((masks[0] == masks[1]).sum())
        total_pixels += masks[0].numel()
    print(f'model: {source}')
    return dict(
        reference_s=round(reference_s, 3),
        mmconta_s=round(mmconta_s, 3),
        speedup=round(reference_s / mmconta_s, 3),
        max_abs_diff=max_abs_diff,
        mask_agreement=round(agree / total_pixels, 5),
        autocast=args.autocast,
        images=args.images,
        size=args.size,
        batch_size=args.batch_size,
        max_forward_pixels=max_pixels,
        threads=torch.get_num_threads(),
        device=args.device)


if __name__ == '__main__':
    main()
