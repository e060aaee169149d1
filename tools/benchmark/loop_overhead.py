"""Time what mmengine's runner and the confounder bank add to the work.

Two ratios and one memory check, on the synthetic confounded benchmark:

* ``runner_over_bare`` (goal <= 1.10): the classification stage
  (``configs/cam/cam_r18-w16_1xb16-12e_shapes-96x96.py``) trained through
  mmengine's ``Runner`` against a bare PyTorch loop on the same model (same
  seed and init), the same batches (same sampler seed and per-epoch
  reseeding, as ``EpochSeedHook`` does) and the same SGD parameter groups.
  Both windows hold whole iterations after ``--warmup`` untimed ones: data
  loading (``num_workers=0`` on both sides), forward, backward, step and,
  on the runner's side, every hook (iteration timer, logger, LR scheduler,
  sampler and epoch seeding) and the visualizer's scalar files: that is the
  overhead measured. Validation and checkpoint saving are switched off:
  their cost depends on the schedule, not the loop. The two sides
  alternate ``--repeats`` times; medians are reported.
* ``bank_over_infer`` (goal <= 0.05): ``ConfounderBankHook``'s per-image
  update against the segmentor's ``test_step`` it rides on
  (``configs/seg/deeplab-aspp_r18-w16_1xb16-10e_shapes-96x96.py``, random
  weights, batch 1, the training split as the round loop predicts it).
  Data loading is in neither.
* ``bank_peak_bytes_{100,10000}`` (goal: equal): the most memory the
  hook's own state holds (tensor storages, arrays and the Python objects
  around them) while 100 and 10,000 random predictions stream through it;
  the transient tensors of one update are not counted.

Its JSON is the last stdout line; logs go to stderr::

    python tools/benchmark/loop_overhead.py [--data-root DIR]
        [--iters 20] [--warmup 3] [--repeats 3] [--images 32] [--threads N]
"""
import argparse
import contextlib
import copy
import json
import math
import os.path as osp
import statistics
import sys
import tempfile
import time
from types import SimpleNamespace
from typing import Any, Hashable, Optional, Set, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner
from mmengine.runner.utils import set_random_seed
from mmengine.structures import PixelData
from mmengine.utils.dl_utils import set_multi_processing
from mmseg.structures import SegDataSample

from mmconta.datasets import synthetic
from mmconta.engine.hooks import ConfounderBankHook
from mmconta.registry import DATASETS, MODELS
from mmconta.utils import register_all_modules, set_data_root

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CAM_CONFIG = osp.join(REPO, 'configs', 'cam',
                      'cam_r18-w16_1xb16-12e_shapes-96x96.py')
SEG_CONFIG = osp.join(REPO, 'configs', 'seg',
                      'deeplab-aspp_r18-w16_1xb16-10e_shapes-96x96.py')
BANK_STREAMS = (100, 10_000)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--data-root',
        help='a confounded-shapes dataset; default: generate --train-images '
        'into a temporary folder')
    parser.add_argument(
        '--train-images', type=int, default=64,
        help='training images to generate (without --data-root)')
    parser.add_argument('--iters', type=int, default=20,
                        help='timed training iterations per repeat')
    parser.add_argument(
        '--warmup', type=int, default=3,
        help='untimed training iterations (and segmentor images) first')
    parser.add_argument('--repeats', type=int, default=3,
                        help='runs of each training side, alternating')
    parser.add_argument('--images', type=int, default=32,
                        help='timed segmentor images for the bank')
    parser.add_argument(
        '--threads', type=int, default=torch.get_num_threads(),
        help='torch threads (default: torch\'s, from OMP_NUM_THREADS)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    for name in ('train_images', 'iters', 'warmup', 'repeats', 'images',
                 'threads'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1, '
                         f'got {getattr(args, name)}')
    return args


class WindowTimer(Hook):
    """Wall time of training iterations ``first`` to ``last``, in full.

    It stamps after every other hook of iteration ``first - 1`` and of
    iteration ``last``, so the window holds whole iterations: fetching the
    batch, the hooks before and after, and the step.

    Args:
        first (int): First timed iteration (0-based), at least 1.
        last (int): Last timed iteration.

    Note:
        Priority ``LOWEST`` and registered last: it runs after every hook,
        ``LOWEST`` ones included.
    """
    priority = 'LOWEST'

    def __init__(self, first: int, last: int) -> None:
        self.first = first
        self.last = last
        self.start: Optional[float] = None
        self.seconds: Optional[float] = None
        self.first_loss: Optional[float] = None

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        # The loop counts the iteration after its after_train_iter hooks.
        if runner.iter == 0:
            self.first_loss = float(outputs['loss'])
        if runner.iter == self.first - 1:
            self.start = time.perf_counter()
        elif runner.iter == self.last:
            self.seconds = time.perf_counter() - self.start


def classifier_config(data_root: str, seed: int, total_iters: int) -> Config:
    """``CAM_CONFIG`` as timed: no workers, validation or checkpoints."""
    cfg = Config.fromfile(CAM_CONFIG)
    set_data_root(cfg, data_root)
    cfg.randomness = dict(seed=seed)
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = None
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    epoch_iters = math.ceil(len(dataset) / cfg.train_dataloader.batch_size)
    # Whole epochs, as the config's loop runs them; the iterations after
    # the window are untimed.
    cfg.train_cfg = dict(
        type='EpochBasedTrainLoop',
        max_epochs=math.ceil(total_iters / epoch_iters))
    return cfg


def time_runner(cfg: Config, work_dir: str, name: str, warmup: int,
                iters: int) -> Tuple[float, float]:
    """Seconds of ``iters`` iterations through the Runner, and the 1st loss."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    # Distinct names: the message hub and visualizer are global instances
    # looked up by experiment name.
    cfg.experiment_name = name
    runner = Runner.from_cfg(cfg)
    timer = WindowTimer(warmup, warmup + iters - 1)
    runner.register_hook(timer)
    runner.train()
    return timer.seconds, timer.first_loss


def time_bare(cfg: Config, seed: int, warmup: int,
              iters: int) -> Tuple[float, float]:
    """Seconds of ``iters`` iterations of a plain PyTorch loop, 1st loss.

    Model, batches and parameter groups are the runner's: the same seed
    before building and initialising the model, the sampler seeded and
    reseeded per epoch like the runner's hooks do, and the optimizer that
    the config's optim wrapper holds (without the wrapper or a scheduler).
    """
    set_random_seed(seed)
    model = MODELS.build(cfg.model)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=seed)
    optimizer = build_optim_wrapper(model, copy.deepcopy(
        cfg.optim_wrapper)).optimizer
    model.init_weights()
    model.train()
    step, epoch, start, first_loss = 0, 0, None, None
    while step < warmup + iters:
        # DistSamplerSeedHook's and EpochSeedHook's draws: same batches.
        loader.sampler.set_epoch(epoch)
        set_random_seed(seed + epoch)
        for batch in loader:
            data = model.data_preprocessor(batch, True)
            losses = model(**data, mode='loss')
            loss = sum(v for k, v in losses.items() if 'loss' in k)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step == 0:
                first_loss = loss.item()
            step += 1
            if step == warmup:
                start = time.perf_counter()
            elif step == warmup + iters:
                break
        epoch += 1
    return time.perf_counter() - start, first_loss


def segmentor_configs(data_root: str) -> Tuple[dict, dict]:
    """``SEG_CONFIG``'s model, and its test loader over the training
    split at batch 1, as the round loop's ``seg_train`` stage predicts it
    (its pipeline packs the image-level labels the bank reads).
    """
    cfg = Config.fromfile(SEG_CONFIG)
    set_data_root(cfg, data_root)
    source = cfg.train_dataloader.dataset.dataset
    pipeline = cfg.test_dataloader.dataset.pipeline
    return cfg.model, dict(
        cfg.test_dataloader,
        batch_size=1,
        num_workers=0,
        persistent_workers=False,
        dataset=dict(source, pipeline=pipeline),
        sampler=dict(type='DefaultSampler', shuffle=False))


def time_bank(data_root: str, seed: int, warmup: int,
              images: int) -> Tuple[float, float, SegDataSample, dict]:
    """Seconds of segmentor inference and of the bank's updates on it.

    Returns:
        tuple: Inference seconds, bank seconds, a prediction and the
        dataset's metainfo.
    """
    model_cfg, loader_cfg = segmentor_configs(data_root)
    set_random_seed(seed)
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.eval()
    loader = Runner.build_dataloader(loader_cfg, seed=seed)
    if len(loader.dataset) < warmup + images:
        raise ValueError(
            f'--warmup {warmup} + --images {images} exceed the '
            f'{len(loader.dataset)} training images of {data_root}')
    hook = ConfounderBankHook()  # the round loop's options (conta_runtime)
    # The hook reads only the runner's test dataloader.
    stub = SimpleNamespace(test_dataloader=loader)
    hook.before_test_epoch(stub)
    infer_s = bank_s = 0.0
    # TestLoop runs its iterations under no_grad.
    with torch.no_grad():
        for idx, batch in enumerate(loader):
            if idx == warmup + images:
                break
            start = time.perf_counter()
            outputs = model.test_step(batch)
            predicted = time.perf_counter()
            hook.after_test_iter(stub, idx, batch, outputs)
            if idx >= warmup:
                infer_s += predicted - start
                bank_s += time.perf_counter() - predicted
    return infer_s, bank_s, outputs[0], loader.dataset.metainfo


def held_bytes(obj: Any, seen: Optional[Set[Hashable]] = None) -> int:
    """Bytes reachable from ``obj``: tensor storages and arrays, counted
    once each, plus the Python containers and scalars holding them."""
    seen = set() if seen is None else seen
    if isinstance(obj, torch.Tensor):
        # Views share their storage: key on the buffer, not the tensor.
        storage = obj.untyped_storage()
        key, size = ('storage', storage.data_ptr()), storage.nbytes()
    elif isinstance(obj, np.ndarray):
        key, size = id(obj), obj.nbytes
    else:
        key, size = id(obj), sys.getsizeof(obj)
    if key in seen:
        return 0
    seen.add(key)
    if isinstance(obj, dict):
        size += sum(
            held_bytes(k, seen) + held_bytes(v, seen)
            for k, v in obj.items())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        size += sum(held_bytes(item, seen) for item in obj)
    return size


def state_bytes(hook: Hook) -> int:
    """:func:`held_bytes` of a hook's attributes.

    The attribute dict itself is left out: CPython sizes an instance's
    dict by how its keys are shared with other instances, not by content.
    """
    seen: Set[Hashable] = set()
    return sum(held_bytes(value, seen) for value in vars(hook).values())


class UnloadedDataset:
    """A dataset the bank sees only through its length and metainfo."""

    def __init__(self, length: int, metainfo: dict) -> None:
        self.length = length
        self.metainfo = metainfo

    def __len__(self) -> int:
        return self.length


def bank_peak_bytes(num_images: int, example: SegDataSample,
                    metainfo: dict, seed: int) -> int:
    """The most the bank holds while ``num_images`` predictions stream in.

    Predictions have the shape of ``example``'s and random class ids; each
    image's label names every class with probability 1/2. No model runs.
    :func:`state_bytes` is taken after every image.

    Note:
        Not tracemalloc: torch's buffers bypass the Python heap, and the
        heap it does trace gains a bounded ~30 KB over the first few hundred
        calls of the bank's tensor ops whoever calls them (per-shape
        caches), which would tell 100 images from 10,000 for no fault of
        the bank.
    """
    shape = example.pred_sem_seg.shape
    num_fg = len(metainfo['classes']) - 1
    generator = torch.Generator().manual_seed(seed)
    hook = ConfounderBankHook()
    # sampler=None: the hook takes every image as this process's own.
    stub = SimpleNamespace(
        test_dataloader=SimpleNamespace(
            dataset=UnloadedDataset(num_images, metainfo), sampler=None))
    hook.before_test_epoch(stub)
    peak = state_bytes(hook)
    for idx in range(num_images):
        sample = SegDataSample()
        sample.pred_sem_seg = PixelData(data=torch.randint(
            0, num_fg + 1, (1, *shape), generator=generator))
        sample.gt_img_labels = torch.randint(
            0, 2, (num_fg, ), generator=generator).float()
        hook.after_test_iter(stub, idx, outputs=[sample])
        peak = max(peak, state_bytes(hook))
    return peak


def generate_data(out_dir: str, num_train: int, seed: int) -> None:
    """The synthetic benchmark through its command line's ``main``; its
    summary goes to stdout, which :func:`main` sends to stderr."""
    synthetic.main([
        out_dir, '--num-train',
        str(num_train), '--num-val', '1', '--seed',
        str(seed)
    ])


def measure(args: argparse.Namespace) -> dict:
    """Every figure of the JSON line."""
    with tempfile.TemporaryDirectory(prefix='loop_overhead_') as tmp:
        data_root = args.data_root
        if data_root is None:
            data_root = osp.join(tmp, 'data')
            generate_data(data_root, args.train_images, args.seed)
        cfg = classifier_config(data_root, args.seed,
                                args.warmup + args.iters)
        # The runner sets these up (OpenCV threads, start method) when it
        # is built; set them first so the bare loop's data loading matches.
        set_multi_processing(**cfg.env_cfg.mp_cfg)
        runner_s, bare_s, first_losses = [], [], set()
        for repeat in range(args.repeats):
            # Alternate which side goes first: a shared machine whose
            # speed drifts favours neither.
            sides = ('runner', 'bare') if repeat % 2 == 0 else ('bare',
                                                                'runner')
            for side in sides:
                if side == 'runner':
                    seconds, loss = time_runner(
                        cfg, osp.join(tmp, f'work_dir_{repeat}'),
                        f'loop_overhead_{repeat}', args.warmup, args.iters)
                    runner_s.append(seconds)
                else:
                    seconds, loss = time_bare(cfg, args.seed, args.warmup,
                                              args.iters)
                    bare_s.append(seconds)
                first_losses.add(round(loss, 6))
        infer_s, bank_s, example, metainfo = time_bank(
            data_root, args.seed, args.warmup, args.images)
    runner_median = statistics.median(runner_s)
    bare_median = statistics.median(bare_s)
    result = dict(
        runner_s=round(runner_median, 3),
        bare_s=round(bare_median, 3),
        runner_over_bare=round(runner_median / bare_median, 3),
        runner_repeats_s=[round(s, 3) for s in runner_s],
        bare_repeats_s=[round(s, 3) for s in bare_s],
        # One value when both sides start from the same weights and batch.
        first_losses=sorted(first_losses),
        infer_s=round(infer_s, 4),
        bank_s=round(bank_s, 4),
        bank_over_infer=round(bank_s / infer_s, 4))
    for n in BANK_STREAMS:
        result[f'bank_peak_bytes_{n}'] = bank_peak_bytes(
            n, example, metainfo, args.seed)
    result.update(
        iters=args.iters,
        warmup=args.warmup,
        repeats=args.repeats,
        images=args.images,
        batch_size=cfg.train_dataloader.batch_size,
        threads=torch.get_num_threads())
    return result


def main() -> None:
    args = parse_args()
    register_all_modules()
    torch.set_num_threads(args.threads)
    # Runners and mmengine's loggers write to stdout, which holds only the
    # JSON line; loggers made inside bind to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        result = measure(args)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
