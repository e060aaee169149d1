"""Training images/s of a config's model: fp32 against mixed precision.

The model of ``--config`` (random weights) takes SGD steps on random
images of its crop size and random multi-hot labels (segmentation configs:
random label maps), through its own ``data_preprocessor`` and ``loss``, as
the Runner's ``train_step`` does. Three modes, each after ``--warmup``
untimed steps:

* ``fp32``: float32, NCHW;
* ``amp``: autocast (float16 with a grad scaler on CUDA, bfloat16 on the
  CPU), as ``tools/train.py --amp`` trains;
* ``amp_channels_last``: ``amp`` with the model and the images in
  channels-last memory format (measured here; not yet a training option).

Its JSON is the last stdout line (logs go to stderr)::

    python tools/benchmark/train_speed.py [--config CFG] [--batch-size N]
        [--iters 10] [--warmup 3] [--device cuda]
"""
import argparse
import contextlib
import json
import os.path as osp
import sys
import time
from typing import Dict

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmconta.registry import MODELS
from mmconta.utils import drop_pretrained

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIG = osp.join(REPO, 'configs', 'cam',
                          'cam_r50_4xb4-5e_voc12aug-512x512.py')
MODES = ('fp32', 'amp', 'amp_channels_last')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--batch-size', type=int,
                        help='default: the config\'s train batch size')
    parser.add_argument('--size', type=int,
                        help='default: the config\'s crop size')
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--modes', nargs='+', choices=MODES, default=MODES)
    parser.add_argument('--device', choices=['cpu', 'cuda'],
                        default='cuda' if torch.cuda.is_available() else
                        'cpu')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def crop_size(node) -> int:
    """The first ``crop_size`` in a config node (pipelines nest in dataset
    wrappers and in PasteInstances)."""
    if isinstance(node, dict):
        if 'crop_size' in node:
            size = node['crop_size']
            return size if isinstance(size, int) else size[0]
        node = list(node.values())
    if isinstance(node, (list, tuple)):
        for item in node:
            size = crop_size(item)
            if size:
                return size
    return 0


def random_batch(batch_size: int, size: int, num_classes: int,
                 generator: torch.Generator) -> dict:
    """Raw uint8 images and data samples with image labels (a classifier's
    ``num_classes``) and label maps (a segmentor's)."""
    samples = []
    for _ in range(batch_size):
        sample = SegDataSample()
        label_map = torch.randint(0, num_classes, (1, size, size),
                                  generator=generator)
        sample.gt_sem_seg = PixelData(data=label_map)
        labels = torch.zeros(num_classes)
        labels[torch.randint(0, num_classes, (2, ), generator=generator)] = 1
        sample.set_metainfo(dict(img_shape=(size, size),
                                 ori_shape=(size, size),
                                 pad_shape=(size, size)))
        sample.gt_img_labels = labels
        samples.append(sample)
    inputs = [
        torch.randint(0, 256, (3, size, size), dtype=torch.uint8,
                      generator=generator) for _ in range(batch_size)
    ]
    return dict(inputs=inputs, data_samples=samples)


def time_mode(cfg: Config, mode: str, batch: dict, args) -> Dict[str, float]:
    torch.manual_seed(args.seed)
    model = MODELS.build(cfg.model).to(args.device).train()
    channels_last = mode == 'amp_channels_last'
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    cuda = args.device == 'cuda'
    amp_dtype = torch.float16 if cuda else torch.bfloat16
    scaler = torch.amp.GradScaler('cuda', enabled=cuda and mode != 'fp32')

    def step() -> None:
        data = model.data_preprocessor(batch, True)
        inputs = data['inputs']
        if channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        with torch.autocast(args.device, dtype=amp_dtype,
                            enabled=mode != 'fp32'):
            losses = model(inputs, data['data_samples'], mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    for _ in range(args.warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(args.iters):
        step()
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    result = dict(images_per_s=round(
        args.iters * len(batch['inputs']) / seconds, 2))
    if cuda:
        result['peak_cuda_mb'] = round(
            torch.cuda.max_memory_allocated() / 2**20, 1)
    return result


def measure(args: argparse.Namespace) -> dict:
    init_default_scope('mmconta')
    cfg = Config.fromfile(args.config)
    drop_pretrained(cfg.model)
    batch_size = args.batch_size or cfg.train_dataloader.batch_size
    size = args.size or crop_size(cfg.train_dataloader)
    if not size:
        raise ValueError('--size: the config\'s train pipeline has no crop')
    head = cfg.model.get('head') or cfg.model.get('decode_head')
    num_classes = head['num_classes']
    generator = torch.Generator().manual_seed(args.seed)
    batch = random_batch(batch_size, size, num_classes, generator)
    result = dict(config=osp.relpath(args.config, REPO), device=args.device,
                  batch_size=batch_size, size=size, iters=args.iters,
                  threads=torch.get_num_threads())
    for mode in args.modes:
        result[mode] = time_mode(cfg, mode, batch, args)
        print(f'{mode}: {result[mode]}')
    for mode in args.modes:
        if mode != 'fp32' and 'fp32' in result:
            result[f'{mode}_over_fp32'] = round(
                result[mode]['images_per_s'] /
                result['fp32']['images_per_s'], 3)
    return result


def main() -> None:
    args = parse_args()
    with contextlib.redirect_stdout(sys.stderr):
        result = measure(args)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
