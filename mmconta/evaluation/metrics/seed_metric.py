"""Seed quality of CAMs, with a background-threshold sweep and context bias."""
import logging
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import print_log
from prettytable import PrettyTable

from mmconta.models.utils import cam_argmax
from mmconta.registry import METRICS
from ..functional import area_iou, mean_iou, sample_field, seed_sweep_areas
from .running_sum_metric import RunningSumMetric


@METRICS.register_module()
class SeedMetric(RunningSumMetric):
    """mIoU of CAM seeds against ground truth, over a threshold sweep.

    A pixel's seed at background threshold t is the argmax over a constant
    background plane t and the labelled classes' max-normalised CAMs
    (:func:`~mmconta.models.utils.cam_to_seed`). Reported (×100):
    ``mIoU`` at the fixed ``bg_thr`` (IRN's protocol, ``cam_eval_thres``)
    and ``best_mIoU`` at ``best_thr`` over the sweep (SEAM's protocol). The
    sweep reads the ground truth, so it describes the CAMs; it must never
    pick the threshold used for pseudo-masks.

    **Context bias.** When samples carry ``context_key`` (an (H, W) map:
    0 none, k = class k's context, K + 1 neutral, as the synthetic generator
    writes ``ContextMaps/<id>.png``), ``context_share`` is the percentage of
    the foreground seed pixels (at ``bg_thr``, over all images with a map)
    that lie on their own class's context and outside that class's object:
    the bias CONTA targets, measured directly. ``context_share.<class>`` is
    the same per class (classes with seed pixels only), and
    ``any_context_share`` counts seed pixels on any context region, neutral
    ones included, so that a confounded set compares with its control.

    **Co-occurring classes.** With ``companions`` (primary -> companion
    class names, e.g. a horse's rider), ``companion_share`` is the
    percentage of the primaries' foreground seed pixels (at ``bg_thr``,
    pooled over the primaries and all images) that lie on their companion's
    ground truth: the seeds of a primary spilling onto the object that
    keeps it company. ``companion_share.<primary>`` is the same per primary
    (primaries with seed pixels only); ``companion_share`` is NaN while no
    primary has a seed pixel.

    Samples (dicts, as the evaluator passes model outputs, or data samples)
    carry ``cams`` (K_img, H, W) full-resolution CAMs, ``cam_keys``
    (K_img,), ``gt_sem_seg`` (``{'data': (1, H, W)}`` or a ``PixelData``)
    and optionally the context map. ``results`` hold one running sum per
    rank: T x 3 x C int64 areas plus 3 x C context counts (and 2 x C
    companion counts), whatever the number of images (see
    :class:`RunningSumMetric` for the sampler).

    Args:
        thresholds (Sequence[float]): The sweep; ``bg_thr`` is added to it.
            Defaults to 0.05, 0.10, ..., 0.95.
        bg_thr (float): The fixed background threshold. Defaults to 0.15
            (IRN's ``cam_eval_thres``).
        ignore_index (int): Label id left out. Defaults to 255.
        context_key (str, optional): Sample field of the context map; None
            never reads one. Defaults to 'gt_context'.
        companions (dict[str, str], optional): Primary class name ->
            companion class name, both in ``dataset_meta['classes']``.
            None reports no companion share. Defaults to None.
        prefix (str, optional): Metric name prefix. Defaults to 'seed'.
        collect_device (str): Where ranks gather results. Defaults to 'cpu'.
    """
    default_prefix = 'seed'

    def __init__(self,
                 thresholds: Sequence[float] = tuple(
                     np.round(np.arange(0.05, 0.96, 0.05), 2).tolist()),
                 bg_thr: float = 0.15,
                 ignore_index: int = 255,
                 context_key: Optional[str] = 'gt_context',
                 companions: Optional[Dict[str, str]] = None,
                 prefix: Optional[str] = None,
                 collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        values = [float(t) for t in thresholds] + [float(bg_thr)]
        if not np.isfinite(values).all():
            raise ValueError(f'SeedMetric: thresholds and bg_thr must be '
                             f'finite, got {list(thresholds)} and {bg_thr}')
        # Rounded so that 0.15 from a config and from np.arange coincide.
        self.thresholds = tuple(sorted({round(t, 6) for t in values}))
        self.bg_thr = round(float(bg_thr), 6)
        self.ignore_index = ignore_index
        self.context_key = context_key
        self.companions = dict(companions) if companions else None

    def zero_state(self) -> Dict[str, np.ndarray]:
        """Zero sums: ``areas`` (T, 3, C), context and companion counts."""
        num_thr, c = len(self.thresholds), self.num_classes
        state = dict(
            areas=np.zeros((num_thr, 3, c), np.int64),
            # Per class over images with a context map: seed pixels, those
            # on the class's own context, and those on any context.
            seed_pixels=np.zeros(c, np.int64),
            own_context=np.zeros(c, np.int64),
            any_context=np.zeros(c, np.int64),
            context_images=np.zeros(1, np.int64),
            gt_images=np.zeros(1, np.int64),
            no_gt_images=np.zeros(1, np.int64))
        if self.companions:
            # Per primary over all images: its seed pixels, and those on
            # its companion's ground truth.
            state.update(
                primary_seed_pixels=np.zeros(c, np.int64),
                on_companion=np.zeros(c, np.int64))
        return state

    def companion_ids(self) -> np.ndarray:
        """(C,) the companion's class id of each primary, -1 elsewhere."""
        classes = list(self.dataset_meta['classes'])
        unknown = sorted({
            name
            for pair in self.companions.items() for name in pair
            if name not in classes
        })
        if unknown:
            raise ValueError(f'SeedMetric: companions name {unknown}, not '
                             f'among the classes {classes}')
        ids = np.full(len(classes), -1, np.int64)
        for primary, companion in self.companions.items():
            ids[classes.index(primary)] = classes.index(companion)
        return ids

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence[dict]) -> None:
        """Add each sample's areas (and context counts) to the running sum.

        Args:
            data_batch (dict, optional): The batch (unused).
            data_samples (Sequence[dict | SegDataSample]): Samples with
                ``cams``, ``cam_keys``, ``gt_sem_seg`` and optionally the
                context map.
        """
        num_classes = self.num_classes
        companion_of = self.companion_ids() if self.companions else None
        for sample in data_samples:
            fields = {
                name: sample_field(sample, name)
                for name in ('cams', 'cam_keys', 'gt_sem_seg')
            }
            missing = [name for name, value in fields.items()
                       if value is None and name != 'gt_sem_seg']
            if missing:
                raise ValueError(f'SeedMetric: sample lacks {missing}; it has '
                                 f'{list(sample.keys())}')
            if fields['gt_sem_seg'] is None:
                self.accumulate(no_gt_images=np.ones(1, np.int64))
                continue
            peak, best = cam_argmax(fields['cams'], fields['cam_keys'])
            label = self._plane(fields['gt_sem_seg'], peak.shape,
                                'gt_sem_seg', sample)
            sums = dict(areas=seed_sweep_areas(peak, best, label,
                                               self.thresholds, num_classes,
                                               self.ignore_index).numpy())
            # The seed at bg_thr, compared as cam_to_seed compares.
            seed = np.where(peak > peak.dtype.type(self.bg_thr), best, 0)
            fg = seed > 0
            if companion_of is not None:
                companion = companion_of[seed]  # -1 off the primaries' seeds
                primary = fg & (companion >= 0)
                sums.update(
                    primary_seed_pixels=np.bincount(
                        seed[primary], minlength=num_classes),
                    on_companion=np.bincount(
                        seed[primary & (label == companion)],
                        minlength=num_classes))
            context = sample_field(sample, self.context_key) \
                if self.context_key else None
            if context is not None:
                context = self._plane(context, peak.shape, self.context_key,
                                      sample)
                outside = fg & (label != seed)
                sums.update(
                    seed_pixels=np.bincount(seed[fg], minlength=num_classes),
                    own_context=np.bincount(
                        seed[outside & (context == seed)],
                        minlength=num_classes),
                    any_context=np.bincount(
                        seed[outside & (context > 0)],
                        minlength=num_classes),
                    context_images=np.ones(1, np.int64))
            self.accumulate(gt_images=np.ones(1, np.int64), **sums)

    @staticmethod
    def _plane(value: np.ndarray, shape: tuple, name: str,
               sample) -> np.ndarray:
        """An (H, W) map from (H, W) or (1, H, W), checked against the CAMs."""
        if value.shape[-2:] != shape or value.size != np.prod(shape):
            raise ValueError(
                f'SeedMetric: {name} of shape {value.shape} does not match '
                f'CAMs of size {shape} (image {sample.get("img_id")}); CAMs '
                'must be full resolution')
        return value.reshape(shape)

    def compute_metrics(self, results: List[Dict[str, np.ndarray]]
                        ) -> Dict[str, float]:
        """Sum the ranks' areas; mIoU at ``bg_thr``, best of the sweep.

        Args:
            results (list[dict]): One running sum per rank.

        Returns:
            dict[str, float]: Nothing without ground truth; else ``mIoU``,
            ``best_mIoU``, ``best_thr``; with
            context maps, ``context_share``, ``any_context_share`` and
            ``context_share.<class>``; with ``companions``,
            ``companion_share`` and ``companion_share.<primary>``; as plain
            floats (percentages but ``best_thr``).
        """
        total = self.total(results)
        if self.no_ground_truth(total):
            return {}
        classes = self.dataset_meta['classes']
        mious = mean_iou(total['areas'])
        fixed = self.thresholds.index(self.bg_thr)
        if np.isnan(mious).all():
            print_log('SeedMetric: no labelled pixel was evaluated; mIoU is '
                      'NaN', logger='current', level=logging.WARNING)
            return dict(mIoU=float('nan'), best_mIoU=float('nan'),
                        best_thr=float('nan'))
        best = int(np.nanargmax(mious))  # ties: the lowest threshold
        metrics = dict(
            mIoU=float(mious[fixed]),
            best_mIoU=float(mious[best]),
            best_thr=float(self.thresholds[best]))

        sweep = PrettyTable(field_names=['bg_thr', 'mIoU', ''])
        for i, (thr, miou) in enumerate(zip(self.thresholds, mious)):
            note = ' '.join(
                word for word, at in (('fixed', fixed), ('best', best))
                if i == at)
            sweep.add_row([f'{thr:.2f}', f'{miou:.2f}', note])
        shown = sorted({fixed, best})
        names = ['Class'] + [f'IoU@{self.thresholds[i]:.2f}' for i in shown]
        columns = [list(classes)] + [[f'{v:.2f}' for v in row]
                                     for row in area_iou(
                                         total['areas'][shown]) * 100]

        def add_shares(key: str, hits: np.ndarray,
                       pixels: np.ndarray) -> None:
            """Per-class ``<key>.<class>`` (classes with seed pixels only)
            and its column of the per-class table."""
            share = 100 * hits / np.maximum(pixels, 1)
            metrics.update({
                f'{key}.{classes[k]}': float(share[k])
                for k in range(1, len(classes)) if pixels[k]
            })
            names.append(key.replace('_', ' '))
            columns.append(
                [f'{s:.2f}' if p else '-' for s, p in zip(share, pixels)])

        if total['context_images'][0]:
            pixels = total['seed_pixels']
            fg_pixels = max(int(pixels[1:].sum()), 1)
            metrics['context_share'] = float(
                100 * total['own_context'][1:].sum() / fg_pixels)
            metrics['any_context_share'] = float(
                100 * total['any_context'][1:].sum() / fg_pixels)
            add_shares('context_share', total['own_context'], pixels)
        if self.companions:
            pixels = total['primary_seed_pixels']
            metrics['companion_share'] = float(
                100 * total['on_companion'].sum() /
                pixels.sum()) if pixels.sum() else float('nan')
            add_shares('companion_share', total['on_companion'], pixels)
        per_class = PrettyTable(field_names=names)
        for row in zip(*columns):
            per_class.add_row(list(row))
        print_log(
            'seed mIoU by background threshold:\n' + sweep.get_string() +
            '\nper-class seed IoU:\n' + per_class.get_string(),
            logger='current')
        return metrics
