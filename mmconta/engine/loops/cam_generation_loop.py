"""Multi-scale CAM generation as a test loop (IRN's ``step/make_cam.py``)."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.dist import (all_gather_object, all_reduce, barrier,
                           get_dist_info, is_main_process)
from mmengine.evaluator import Evaluator
from mmengine.fileio import get_local_path
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from mmengine.utils import ProgressBar
from PIL import Image
from torch import Tensor, nn
from torch.utils.data import DataLoader

from mmconta.registry import LOOPS
from mmconta.utils import (cam_file_path, load_cam_file, prepare_output_dir,
                           save_cam_file, upsample_cam)
from mmconta.visualization import CAMVisualizer
from ..cam_inference import (AUTOCAST_DTYPES, multi_scale_cams,
                             prepare_cam_model)
from ..pseudo_mask_writer import PseudoMaskWriter


def group_batches(sizes: Sequence[Tuple[int, int]],
                  batch_size: int) -> List[List[int]]:
    """Group image indices by size into batches of at most ``batch_size``.

    Images are taken in dataset order; each joins the open batch of its size
    and a batch closes when full. Batches are listed by their first image.
    The result depends only on the sizes, never on the process count.

    Args:
        sizes (Sequence[tuple[int, int]]): (H, W) per image.
        batch_size (int): Most images per batch.

    Returns:
        list[list[int]]: Dataset indices per batch.
    """
    batches: List[List[int]] = []
    open_batches: Dict[Tuple[int, int], List[int]] = {}
    for index, size in enumerate(sizes):
        batch = open_batches.get(size)
        if batch is None:
            batch = open_batches[size] = []
            batches.append(batch)
        batch.append(index)
        if len(batch) == batch_size:
            del open_batches[size]
    return batches


def read_image_size(path: str) -> Tuple[int, int]:
    """(H, W) of an image as decoded (EXIF orientation), from its header.

    Args:
        path (str): Image file.

    Returns:
        tuple[int, int]: Height and width.
    """
    with get_local_path(path) as local, Image.open(local) as img:
        width, height = img.size
        # mmcv's cv2 decoding applies the EXIF orientation; 5-8 swap axes.
        if img.getexif().get(0x0112, 1) in (5, 6, 7, 8):
            width, height = height, width
    return height, width


@LOOPS.register_module()
class CAMGenerationLoop(BaseLoop):
    """Write multi-scale CAMs of every image of ``test_dataloader``.

    IRN's ``step/make_cam.py`` as a test loop: ``tools/test.py CFG CKPT``
    (or ``tools/dist_test.sh CFG CKPT N``) writes ``<cam_dir>/<img_id>.npz``
    with ``keys``, ``cam`` (stride 4), ``high_res`` (full size) and
    ``classes`` (the format: :mod:`mmconta.utils.cam_file`; the CAMs:
    :func:`multi_scale_cams`), optionally a pseudo-mask PNG per image
    (:class:`PseudoMaskWriter`), then evaluates. The loop orchestrates:
    batching, resuming, processes, evaluation and overlays. The dataloader's
    pipeline must not resize (LoadImageFromFile, LoadAnnotations,
    PackWSSSInputs): CAMs are made at each image's own size. Its dataset,
    collate function and worker count are used; its sampler and batch size
    are not.

    Outputs do not depend on the number of processes or on resuming: every
    process reads all image sizes from the file headers, groups the images
    globally (:func:`group_batches`) and takes batches ``rank``,
    ``rank + world_size``, ... A batch whose files all exist is not run; a
    batch missing some is run whole (the same floats as a fresh run) and
    only its missing files are written. Files go to a hidden ``.tmp`` name in
    the same folder and are renamed when complete; stale temp files are
    removed at the start. A file read back is checked against the dataset's
    classes, the image's labels and size (:func:`load_cam_file`).

    Every image, computed or loaded from its file, is passed to the
    evaluator as a dict with ``cams`` (K_img, H, W) float, ``cam_keys``,
    ``img_id``, ``gt_sem_seg`` and ``gt_context`` (``{'data': (1, H, W)}``,
    where the data sample has them) and, with ``pseudo_mask``,
    ``pred_sem_seg``.

    Note:
        mmengine's ``collect_results`` interleaves the ranks' result lists
        and keeps the first ``len(dataset)`` entries. A rank here processes a
        share of images that depends on the process count, so a metric must
        keep at most one result per image (or one running sum per rank, as
        ``SeedMetric`` does) and compute order-independent statistics. A
        metric holding more results than images is an error.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): ``test_dataloader``.
        evaluator (Evaluator | dict | list): ``test_evaluator``.
        cam_dir (str, optional): Output folder. Defaults to
            ``<work_dir>/cam``.
        scales (Sequence[float]): Image scales. Defaults to
            (1.0, 0.5, 1.5, 2.0).
        flip (bool): Add horizontally flipped images. Defaults to True.
        batch_size (int): Most images (of equal size) per forward; each is
            run with its flip. Defaults to 4.
        save_high_res (bool): Write ``high_res``. When False, evaluation and
            pseudo-masks use ``cam`` upsampled bilinearly to H x W, for
            computed and loaded images alike. Defaults to True.
        output_stride (int): The classifier's feature stride (see
            :func:`multi_scale_cams`). Defaults to 16.
        pseudo_mask (dict, optional): Also write ``<out_dir>/<img_id>.png``
            (palette PNG, 255 ignore) from the full-resolution CAM with
            ``cam_to_pseudo_mask`` (:class:`PseudoMaskWriter`). Keys:
            ``bg_thr`` (required), ``out_dir`` (default
            ``<work_dir>/pseudo``), ``ignore_band``, ``crf``.
            Defaults to None.
        num_vis (int): The first ``num_vis`` images of the dataset get a
            ``CAMVisualizer`` overlay, when the runner's visualizer is one or
            one can be built. Defaults to 8.
        channels_last (bool): Run the model in channels-last memory format
            (faster convolutions on CPUs and recent GPUs; same results up to
            float rounding). Defaults to True.
        fuse_conv_bn (bool): Fold the backbone's batch norms into its
            convolutions for inference (:func:`prepare_cam_model`).
            Defaults to True.
        max_forward_pixels (int, optional): Most pixels per forward (see
            :func:`multi_scale_cams`); None for no limit. Defaults to
            2 * 320 * 320, about the fastest on a 2-core CPU.
        autocast (str, optional): The classifier's forward in ``'bfloat16'``
            or ``'float16'`` (see :func:`multi_scale_cams`); what it changes
            in the CAMs and masks is measured in
            ``docs/results/dry_run.md``. Defaults to None: float32.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, dict],
                 evaluator: Union[Evaluator, dict, list],
                 cam_dir: Optional[str] = None,
                 scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
                 flip: bool = True,
                 batch_size: int = 4,
                 save_high_res: bool = True,
                 output_stride: int = 16,
                 pseudo_mask: Optional[dict] = None,
                 num_vis: int = 8,
                 channels_last: bool = True,
                 fuse_conv_bn: bool = True,
                 max_forward_pixels: Optional[int] = 2 * 320 * 320,
                 autocast: Optional[str] = None) -> None:
        super().__init__(runner, dataloader)
        if autocast not in AUTOCAST_DTYPES:
            raise ValueError(f'autocast must be one of '
                             f'{list(AUTOCAST_DTYPES)}, got {autocast!r}')
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        if not scales or min(scales) <= 0:
            raise ValueError(f'scales must be positive, got {scales}')
        if output_stride < 1:
            raise ValueError(
                f'output_stride must be >= 1, got {output_stride}')
        self.evaluator = evaluator if isinstance(evaluator, Evaluator) \
            else runner.build_evaluator(evaluator)
        self.dataset = self.dataloader.dataset
        self.evaluator.dataset_meta = self.dataset.metainfo
        self.runner.visualizer.dataset_meta = self.dataset.metainfo
        self.classes = tuple(self.dataset.metainfo['classes'])
        self.cam_dir = cam_dir or osp.join(runner.work_dir, 'cam')
        self.scales = tuple(float(s) for s in scales)
        self.flip = flip
        self.batch_size = batch_size
        self.save_high_res = save_high_res
        self.output_stride = output_stride
        self.mask_writer = None if pseudo_mask is None else \
            PseudoMaskWriter.from_config(
                pseudo_mask, osp.join(runner.work_dir, 'pseudo'),
                self.dataset.metainfo['palette'])
        self.num_vis = num_vis
        self.channels_last = channels_last
        self.fuse_conv_bn = fuse_conv_bn
        self.max_forward_pixels = max_forward_pixels
        self.autocast = autocast
        # Filled by ``run``, summed over processes: files written this run
        # and files that already existed.
        self.num_written = 0
        self.num_kept = 0
        # Overlays drawn on ranks other than 0, whose visualizer stores none.
        self._overlays: List[Tuple[str, np.ndarray]] = []
        self._visualizer: Optional[CAMVisualizer] = None

    def cam_path(self, img_id: str) -> str:
        """Where the CAM file of ``img_id`` goes."""
        return cam_file_path(self.cam_dir, img_id)

    def run(self) -> dict:
        """Write the missing CAMs (and pseudo-masks), then evaluate.

        Returns:
            dict: The evaluator's metrics.
        """
        self.runner.call_hook('before_test')
        self.runner.call_hook('before_test_epoch')
        model = self.runner.model
        model = prepare_cam_model(
            model.module if is_model_wrapper(model) else model,
            self.channels_last, self.fuse_conv_bn)
        self._prepare_dirs()
        self._visualizer = self._cam_visualizer()

        batches = group_batches(
            [read_image_size(self.dataset.get_data_info(i)['img_path'])
             for i in range(len(self.dataset))], self.batch_size)
        img_ids = [
            self.dataset.get_data_info(i)['img_id']
            for i in range(len(self.dataset))
        ]
        done = [osp.exists(self.cam_path(i)) for i in img_ids]
        mine = self._batches_to_load(batches, done)
        # Let every process see the same files before any is written.
        barrier()
        self.dataloader = DataLoader(
            self.dataset,
            batch_sampler=mine,
            collate_fn=self.dataloader.collate_fn,
            num_workers=self.dataloader.num_workers,
            worker_init_fn=self.dataloader.worker_init_fn,
            pin_memory=self.dataloader.pin_memory)
        print_log(
            f'CAMGenerationLoop: {len(img_ids)} images in {len(batches)} '
            f'batches, {sum(done)} CAM files already in {self.cam_dir}; '
            f'{len(mine)} batches for process {get_dist_info()[0]}',
            logger='current')

        written = 0
        bar = ProgressBar(len(mine)) if is_main_process() else None
        with torch.inference_mode():
            for batch_idx, (indices, data_batch) in enumerate(
                    zip(mine, self.dataloader)):
                self.runner.call_hook(
                    'before_test_iter', batch_idx=batch_idx,
                    data_batch=data_batch)
                outputs, num = self._run_batch(model, indices, data_batch,
                                               done)
                written += num
                if outputs:
                    self.evaluator.process(
                        data_samples=outputs, data_batch=data_batch)
                self.runner.call_hook(
                    'after_test_iter', batch_idx=batch_idx,
                    data_batch=data_batch, outputs=outputs)
                if bar is not None:
                    bar.update()
        if bar is not None:
            bar.file.write('\n')
        self._store_overlays()

        counts = torch.tensor([written], dtype=torch.int64)
        all_reduce(counts)
        self.num_written = int(counts[0])
        self.num_kept = sum(done)
        print_log(
            f'CAMGenerationLoop: wrote {self.num_written} CAM files, kept '
            f'{self.num_kept} existing ones ({self.cam_dir})',
            logger='current')
        barrier()
        self._check_result_counts()
        metrics = self.evaluator.evaluate(len(self.dataset))
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        self.runner.call_hook('after_test')
        return metrics

    def _prepare_dirs(self) -> None:
        """Create the output folders and remove stale temp files (rank 0)."""
        dirs = [self.cam_dir]
        if self.mask_writer is not None:
            dirs.append(self.mask_writer.out_dir)
        if is_main_process():
            for folder in dirs:
                prepare_output_dir(folder)
        barrier()

    @property
    def _needs_all_images(self) -> bool:
        """Whether every image is needed in memory, not only missing ones."""
        return bool(self.evaluator.metrics) or self.mask_writer is not None

    def _batches_to_load(self, batches: List[List[int]],
                         done: List[bool]) -> List[List[int]]:
        """This process's batches that have anything to do."""
        rank, world_size = get_dist_info()
        mine = []
        for batch in batches[rank::world_size]:
            if self._needs_all_images or min(batch) < self.num_vis or \
                    not all(done[i] for i in batch):
                mine.append(batch)
        return mine

    def _run_batch(self, model: nn.Module, indices: List[int],
                   data_batch: dict, done: List[bool]) -> Tuple[list, int]:
        """CAMs of one batch: computed if any file is missing, else loaded.

        Returns:
            tuple[list[dict], int]: Evaluator inputs and files written.
        """
        samples = data_batch['data_samples']
        keys = [self._image_keys(s) for s in samples]
        computed: Dict[int, Tuple[Tensor, Optional[Tensor]]] = {}
        if not all(done[i] for i in indices):
            computed = self._compute(model, data_batch, keys)
        outputs, written = [], 0
        for pos, (index, sample) in enumerate(zip(indices, samples)):
            img_id = sample.img_id
            height, width = data_batch['inputs'][pos].shape[-2:]
            if pos in computed:
                cam, high_res = computed[pos]
                if not done[index]:
                    self._save_cam(img_id, keys[pos], cam, high_res)
                    written += 1
            elif self._needs_all_images or index < self.num_vis:
                cam, high_res = self._load_cam(img_id, keys[pos],
                                               (height, width))
            else:
                continue
            if high_res is None:
                high_res = upsample_cam(cam, (height, width))
            # BGR (3, H, W) -> RGB (H, W, 3), for the CRF and the overlay.
            image = np.ascontiguousarray(
                data_batch['inputs'][pos].flip(0).permute(1, 2, 0).numpy())
            mask = None if self.mask_writer is None else \
                self.mask_writer.write(img_id, high_res.numpy(),
                                       keys[pos].numpy(), image)
            if index < self.num_vis:
                self._visualise(img_id, image, high_res, keys[pos], mask,
                                sample)
            outputs.append(self._eval_sample(sample, high_res, keys[pos],
                                             mask))
        return outputs, written

    def _image_keys(self, sample) -> Tensor:
        if 'gt_img_labels' not in sample:
            raise KeyError(
                f'image {sample.img_id} has no gt_img_labels: the test '
                'pipeline must end with PackWSSSInputs on a WSSS dataset')
        return torch.nonzero(sample.gt_img_labels).reshape(-1).long()

    def _compute(self, model: nn.Module, data_batch: dict,
                 keys: List[Tensor]
                 ) -> Dict[int, Tuple[Tensor, Optional[Tensor]]]:
        """Run :func:`multi_scale_cams` on the batch, by decoded size.

        Header sizes group the batch; should a decoder disagree with the
        header, images are run in sub-batches of equal decoded size, which
        depends on the files only, so outputs stay independent of the
        process count.
        """
        groups: Dict[Tuple[int, int], List[int]] = {}
        for pos, img in enumerate(data_batch['inputs']):
            groups.setdefault(tuple(img.shape[-2:]), []).append(pos)
        computed = {}
        for positions in groups.values():
            inputs = self._normalise(model, data_batch, positions)
            context = None
            if getattr(model, 'context_at_cam', False):
                context = model.context(
                    [data_batch['data_samples'][p] for p in positions],
                    inputs)
            cams = multi_scale_cams(
                model, inputs, [keys[p] for p in positions], self.scales,
                self.flip, self.output_stride, self.save_high_res,
                self.channels_last, self.max_forward_pixels, context,
                self.autocast)
            for pos, (cam, high_res) in zip(positions, cams):
                computed[pos] = (cam.float().cpu(), None if high_res is None
                                 else high_res.float().cpu())
        return computed

    def _normalise(self, model: nn.Module, data_batch: dict,
                   positions: List[int]) -> Tensor:
        """The model's own preprocessing (device, BGR->RGB, mean/std).

        Any padding it adds (``size_divisor``) is cropped off: IRN runs the
        classifier on the unpadded image.
        """
        images = [data_batch['inputs'][p] for p in positions]
        samples = [data_batch['data_samples'][p] for p in positions]
        inputs = model.data_preprocessor(
            dict(inputs=images, data_samples=samples), False)['inputs']
        height, width = images[0].shape[-2:]
        return inputs[..., :height, :width].float()

    def _save_cam(self, img_id: str, keys: Tensor, cam: Tensor,
                  high_res: Optional[Tensor]) -> None:
        save_cam_file(
            self.cam_path(img_id), keys.numpy(), cam.numpy(), self.classes,
            high_res.numpy() if self.save_high_res else None)

    def _load_cam(self, img_id: str, keys: Tensor, size: Tuple[int, int]
                  ) -> Tuple[Tensor, Optional[Tensor]]:
        """A file of an earlier run, checked against this run's image."""
        cam_file = load_cam_file(
            self.cam_path(img_id), expected_classes=self.classes,
            expected_keys=keys.numpy(), image_size=size,
            require_high_res=self.save_high_res)
        high_res = torch.from_numpy(cam_file.high_res) \
            if self.save_high_res else None
        return torch.from_numpy(cam_file.cam), high_res

    def _cam_visualizer(self) -> Optional[CAMVisualizer]:
        """The runner's visualizer if it is a CAMVisualizer, else a new one.

        The new one writes through a ``LocalVisBackend`` into the runner's
        log folder, where the runner's own visualizer would.
        """
        if self.num_vis <= 0:
            return None
        if isinstance(self.runner.visualizer, CAMVisualizer):
            return self.runner.visualizer
        visualizer = CAMVisualizer.get_instance(
            f'{self.runner.experiment_name}_cam',
            vis_backends=[dict(type='LocalVisBackend')],
            save_dir=self.runner.log_dir)
        visualizer.dataset_meta = self.dataset.metainfo
        return visualizer

    def _visualise(self, img_id: str, image: np.ndarray, high_res: Tensor,
                   keys: Tensor, mask: Optional[np.ndarray], sample) -> None:
        gt = sample.gt_sem_seg.data[0].numpy() \
            if 'gt_sem_seg' in sample else None
        row = self._visualizer.add_cam_sample(
            img_id, image, high_res.numpy(), keys.numpy(), self.classes,
            pseudo_mask=mask, gt_mask=gt)
        if not is_main_process():
            self._overlays.append((img_id, row))

    def _store_overlays(self) -> None:
        """Store on rank 0 the overlays other ranks drew.

        mmengine's ``Visualizer.add_image`` stores on rank 0 only, so without
        this the overlays written would depend on the process count.
        """
        if self._visualizer is None:
            return
        gathered = all_gather_object(self._overlays)
        if is_main_process():
            for overlays in gathered:
                for name, row in overlays:
                    self._visualizer.add_image(name, row)
        self._overlays.clear()

    def _eval_sample(self, sample, high_res: Tensor, keys: Tensor,
                     mask: Optional[np.ndarray]) -> dict:
        out = dict(cams=high_res, cam_keys=keys, img_id=sample.img_id)
        for name in ('gt_sem_seg', 'gt_context'):
            if name in sample:
                out[name] = dict(data=sample.get(name).data)
        if mask is not None:
            out['pred_sem_seg'] = dict(
                data=torch.from_numpy(mask.astype(np.int64))[None])
        return out

    def _check_result_counts(self) -> None:
        """Refuse metrics that ``collect_results`` would truncate."""
        for metric in self.evaluator.metrics:
            count = torch.tensor([len(metric.results)], dtype=torch.int64)
            all_reduce(count)
            if int(count[0]) > len(self.dataset):
                raise RuntimeError(
                    f'{type(metric).__name__} holds {int(count[0])} results '
                    f'for {len(self.dataset)} images; collect_results would '
                    'drop the excess: keep one result per image or a running '
                    'sum per process')
