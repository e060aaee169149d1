"""A test loop that writes a segmentor's masks and resumes from them."""
import os.path as osp
from typing import Dict, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dist import all_reduce, barrier, is_main_process
from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.runner import TestLoop, autocast
from mmengine.runner.loops import _update_losses
from mmengine.structures import PixelData
from PIL import Image
from torch.utils.data import DataLoader

from mmconta.registry import LOOPS
from mmconta.utils import prepare_output_dir, save_index_mask


@LOOPS.register_module()
class MaskPredictionLoop(TestLoop):
    """mmengine's ``TestLoop`` that saves each ``pred_sem_seg`` as a PNG.

    The round loop's segmentor predicts the training split with it: the
    masks are the next round's x_m, and hooks on the loop (the
    ``ConfounderBankHook``) and the evaluator see every prediction. A batch
    whose masks all exist is not run: its predictions are read back from
    the files, so a rerun after a kill recomputes no finished image and
    gives the hooks and metrics what an uninterrupted run gives them.
    Masks are palette PNGs of class ids, written atomically; padding
    samples that ``DefaultSampler`` repeats across ranks rewrite the same
    bytes.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): ``test_dataloader``.
        evaluator (Evaluator | dict | list): ``test_evaluator``.
        out_dir (str, optional): Mask folder. Defaults to
            ``<work_dir>/pred``.
        fg_prob_dir (str, optional): Also write each image's foreground
            probability (1 - softmax background of ``seg_logits``) as an
            8-bit PNG, 0..254 for 0..1 (255 stays free for padding and
            ignore), for CONTA's soft x_m. Defaults to None.
        fp16 (bool): Autocast the forward. Defaults to False.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, dict],
                 evaluator: Union[Evaluator, dict, list],
                 out_dir: Optional[str] = None,
                 fg_prob_dir: Optional[str] = None,
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self.out_dir = out_dir or osp.join(runner.work_dir, 'pred')
        self.fg_prob_dir = fg_prob_dir
        # Filled by ``run``, summed over processes (padding included).
        self.num_written = 0
        self.num_kept = 0

    def mask_path(self, sample) -> str:
        """Where the mask of a data sample goes."""
        img_id = sample.metainfo.get('img_id') or osp.splitext(
            osp.basename(sample.img_path))[0]
        return osp.join(self.out_dir, f'{img_id}.png')

    def run(self) -> dict:
        """Predict (or read back) every mask, then evaluate.

        Returns:
            dict: The evaluator's metrics.
        """
        if is_main_process():
            prepare_output_dir(self.out_dir)
            if self.fg_prob_dir:
                prepare_output_dir(self.fg_prob_dir)
        barrier()
        self._counts = torch.zeros(2, dtype=torch.int64)
        metrics = super().run()
        all_reduce(self._counts)
        self.num_written, self.num_kept = (int(c) for c in self._counts)
        print_log(
            f'MaskPredictionLoop: wrote {self.num_written} masks, read '
            f'{self.num_kept} existing ones back ({self.out_dir})',
            logger='current')
        return metrics

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Dict[str, Sequence]) -> None:
        """Predict one batch, or read its masks back when all exist."""
        self.runner.call_hook(
            'before_test_iter', batch_idx=idx, data_batch=data_batch)
        samples = data_batch['data_samples']
        paths = [self.mask_path(s) for s in samples]
        missing = [not osp.isfile(p) for p in paths]
        if self.fg_prob_dir:
            missing = [
                m or not osp.isfile(self._prob_path(p))
                for m, p in zip(missing, paths)
            ]
        if any(missing):
            with autocast(enabled=self.fp16):
                outputs = self.runner.model.test_step(data_batch)
            outputs, self.test_loss = _update_losses(outputs, self.test_loss)
            for output, path, write in zip(outputs, paths, missing):
                if write:
                    # The probability first: a kill between the two leaves
                    # the mask missing, so the image is predicted again.
                    if self.fg_prob_dir:
                        self._write_prob(output.seg_logits.data,
                                         self._prob_path(path))
                    self._write(output.pred_sem_seg.data, path)
            self._counts[0] += sum(missing)
        else:
            outputs = [self._read(s, p) for s, p in zip(samples, paths)]
            self._counts[1] += len(samples)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(
            'after_test_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=outputs)

    def _prob_path(self, mask_path: str) -> str:
        return osp.join(self.fg_prob_dir, osp.basename(mask_path))

    @staticmethod
    def _write_prob(logits: torch.Tensor, path: str) -> None:
        foreground = 1 - torch.softmax(logits.float(), dim=0)[0]
        save_index_mask(
            path, torch.round(foreground * 254).to(torch.uint8).cpu().numpy())

    @staticmethod
    def _write(pred: torch.Tensor, path: str) -> None:
        mask = pred.reshape(pred.shape[-2:]).cpu().numpy()
        # 255 would read back as the ignore index.
        if mask.max(initial=0) > 254:
            raise ValueError(f'{path}: class id {mask.max()} does not fit a '
                             'uint8 mask')
        save_index_mask(path, mask)

    @staticmethod
    def _read(sample, path: str):
        with Image.open(path) as img:
            mask = np.asarray(img, dtype=np.int64)
        height, width = sample.ori_shape
        if mask.shape != (height, width):
            raise ValueError(f'{path} is {mask.shape}, but its image is '
                             f'{(height, width)}: remove the file to '
                             'predict it again')
        sample = sample.clone()
        sample.pred_sem_seg = PixelData(data=torch.from_numpy(mask)[None])
        return sample
