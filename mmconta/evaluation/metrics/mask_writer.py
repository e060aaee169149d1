"""Writes a segmentor's predictions as index PNGs, one per image."""
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.dist import barrier, is_main_process
from mmengine.evaluator import BaseMetric
from PIL import Image

from mmconta.registry import METRICS
from mmconta.utils import voc_palette, write_atomic


@METRICS.register_module()
class MaskWriter(BaseMetric):
    """Save each ``pred_sem_seg`` as ``<out_dir>/<img_id>.png``.

    The round loop's segmentor writes the training split's masks this way:
    the next round reads them as CONTA's x_m (``LoadPreviousMask``). Files
    are palette PNGs of the class ids, written atomically, so the padding
    samples that mmengine's ``DefaultSampler`` repeats across ranks rewrite
    the same bytes safely and a killed run leaves no half-written mask.

    Args:
        out_dir (str): Output folder, created if missing.
        prefix (str, optional): Metric name prefix. Defaults to 'written'.
    """
    default_prefix = 'written'

    def __init__(self,
                 out_dir: str,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_dir = out_dir
        self._palette = [v for rgb in voc_palette(256) for v in rgb]
        if is_main_process():
            os.makedirs(out_dir, exist_ok=True)
        barrier()

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            mask = sample['pred_sem_seg']['data'].reshape(
                sample['pred_sem_seg']['data'].shape[-2:]).cpu().numpy()
            if mask.max(initial=0) > 254:
                raise ValueError(f'{sample["img_path"]}: class id '
                                 f'{mask.max()} does not fit a uint8 mask')
            img_id = sample.get('img_id') or osp.splitext(
                osp.basename(sample['img_path']))[0]
            png = Image.fromarray(mask.astype(np.uint8), mode='P')
            png.putpalette(self._palette)
            write_atomic(
                osp.join(self.out_dir, f'{img_id}.png'),
                lambda f: png.save(f, format='PNG'))
            self.results.append(img_id)

    def compute_metrics(self, results: List[str]) -> dict:
        """``count``: the masks written (each image once)."""
        return dict(count=len(set(results)))
