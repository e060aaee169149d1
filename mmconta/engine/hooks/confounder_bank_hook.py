"""The confounder set of CONTA, built from a segmentation model's masks."""
import logging
import os
import os.path as osp
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dataset import DefaultSampler
from mmengine.dist import all_reduce, get_dist_info, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmconta.registry import HOOKS
from mmconta.utils import write_atomic

BANK_FILE = 'confounder_bank.npz'


@HOOKS.register_module()
class ConfounderBankHook(Hook):
    """Build the confounder set C and its prior P(c) while a segmentor runs.

    `CONTA <https://arxiv.org/abs/2009.12547>`_ defines the confounder set
    as the class-wise average segmentation mask: for each foreground class
    c, the mean over the images containing c of its binary mask resized to
    ``h x w``. The hook streams over the predictions of a test loop (the
    segmentor run on the training split), so memory is O(classes x h x w)
    whatever the dataset size. Masks are resized by area averaging, so a
    cell holds the fraction of its pixels predicted as c.

    An image "contains" c when its image-level label says so
    (``membership='label'``, the weak labels available at training time) or
    when the prediction holds c (``'prediction'``). Sums are reduced across
    ranks, and the padding that mmengine's ``DefaultSampler`` adds to even
    out ranks is skipped, so N processes give the C of one.

    The bank is written to ``<out_dir>/confounder_bank.npz`` (keys
    ``confounders`` (K, h, w) float32, ``prior`` (K,), ``counts`` (K,),
    ``classes``) and kept in checkpoints under ``'confounder_bank'``.

    Args:
        size (tuple[int, int]): h x w of each confounder. Defaults to
            (32, 32).
        prior (str): ``'uniform'`` (1/K, the authors' choice) or
            ``'frequency'`` (share of the images that contain the class).
            Defaults to 'uniform'.
        membership (str): ``'label'`` or ``'prediction'``, see above.
            Defaults to 'label'.
        out_dir (str, optional): Where to write the bank. Defaults to the
            runner's work dir.

    Note:
        Classes seen in no image get an all-zero confounder and weight 0 in
        the frequency prior; they are logged.
    """
    priority = 'NORMAL'

    def __init__(self,
                 size: Tuple[int, int] = (32, 32),
                 prior: str = 'uniform',
                 membership: str = 'label',
                 out_dir: Optional[str] = None) -> None:
        if prior not in ('uniform', 'frequency'):
            raise ValueError(
                f"prior must be 'uniform' or 'frequency', got {prior!r}")
        if membership not in ('label', 'prediction'):
            raise ValueError("membership must be 'label' or 'prediction', "
                             f'got {membership!r}')
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f'size must be two positive ints, got {size}')
        self.size = tuple(int(s) for s in size)
        self.prior = prior
        self.membership = membership
        self.out_dir = out_dir
        self.sums: Optional[torch.Tensor] = None
        self.counts: Optional[torch.Tensor] = None
        self.classes: Sequence[str] = ()

    def before_test_epoch(self, runner) -> None:
        dataset = runner.test_dataloader.dataset
        self.classes = tuple(dataset.metainfo['classes'][1:])
        num_fg = len(self.classes)
        self.sums = torch.zeros(num_fg, *self.size, dtype=torch.float64)
        self.counts = torch.zeros(num_fg, dtype=torch.float64)
        self._seen = 0
        self._own = self._samples_of_this_rank(runner.test_dataloader,
                                               len(dataset))

    @staticmethod
    def _samples_of_this_rank(dataloader, dataset_size: int) -> int:
        """How many leading samples of this rank are real, not padding."""
        sampler = dataloader.sampler
        if isinstance(sampler, DefaultSampler):
            if sampler.shuffle:
                raise ValueError('ConfounderBankHook needs every image once '
                                 'in a fixed order: use DefaultSampler with '
                                 'shuffle=False in the test dataloader')
            rank, world_size = get_dist_info()
            # DefaultSampler deals index i to rank i % world_size and pads
            # the tail by wrapping around: rank r's real samples come first.
            return len(range(rank, dataset_size, world_size))
        return dataset_size

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        for sample in outputs or ():
            if self._seen >= self._own:
                return
            self._seen += 1
            self._add(sample)

    def _add(self, sample) -> None:
        pred = sample.pred_sem_seg.data.reshape(
            sample.pred_sem_seg.data.shape[-2:]).cpu()
        num_fg = len(self.classes)
        if self.membership == 'label':
            if 'gt_img_labels' not in sample:
                raise ValueError(
                    "ConfounderBankHook (membership='label') needs each "
                    "sample's image-level labels: end the test pipeline "
                    'with PackWSSSInputs on a WSSS dataset, or use '
                    "membership='prediction'")
            present = torch.nonzero(sample.gt_img_labels.cpu() > 0)[:, 0]
        else:
            ids = torch.unique(pred)
            present = ids[(ids > 0) & (ids <= num_fg)] - 1
        if present.numel() == 0:
            return
        masks = (pred[None] == (present[:, None, None] + 1)).to(
            torch.float64)
        resized = F.adaptive_avg_pool2d(masks[None], self.size)[0]
        self.sums.index_add_(0, present, resized)
        self.counts[present] += 1

    def after_test_epoch(self, runner, metrics=None) -> None:
        all_reduce(self.sums)
        all_reduce(self.counts)
        confounders, prior = self.bank()
        empty = [c for c, n in zip(self.classes, self.counts) if n == 0]
        if empty:
            print_log(
                f'ConfounderBankHook: no image contains {empty}; their '
                'confounders are all zero', logger='current')
        # A segmentor that drops a class leaves its confounder empty though
        # images carry the class: CONTA then adjusts with nothing.
        faint = [c for c, n, m in zip(self.classes, self.counts,
                                      confounders.flatten(1).mean(1))
                 if n > 0 and m < 1e-3]
        if faint:
            print_log(
                f'ConfounderBankHook: the masks hold almost no pixel of '
                f'{faint} (mean area < 0.1 %) on the images that contain '
                'them; their confounders are near zero', logger='current',
                level=logging.WARNING)
        if is_main_process():
            out_dir = self.out_dir or runner.work_dir
            os.makedirs(out_dir, exist_ok=True)
            path = osp.join(out_dir, BANK_FILE)
            write_atomic(
                path, lambda f: np.savez(
                    f,
                    confounders=confounders.numpy(),
                    prior=prior.numpy(),
                    counts=self.counts.numpy(),
                    classes=np.asarray(self.classes)))
            print_log(f'confounder bank of {len(self.classes)} classes '
                      f'({int(self.counts.sum())} class-image pairs) -> '
                      f'{path}', logger='current')

    def bank(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """The confounders (K, h, w) and the prior (K,), as float32."""
        confounders = self.sums / self.counts.clamp(min=1)[:, None, None]
        if self.prior == 'uniform':
            prior = torch.full_like(self.counts, 1 / len(self.counts))
        else:
            prior = self.counts / self.counts.sum().clamp(min=1)
        return confounders.float(), prior.float()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.sums is not None:
            checkpoint['confounder_bank'] = dict(
                sums=self.sums, counts=self.counts, classes=list(self.classes))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('confounder_bank')
        if state is not None:
            self.sums = state['sums']
            self.counts = state['counts']
            self.classes = tuple(state['classes'])
