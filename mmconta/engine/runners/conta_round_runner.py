"""CONTA's round loop: every stage of every round from one config."""
import copy
import gc
import json
import logging
import math
import os
import os.path as osp
import time
from functools import partial
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.dist import barrier, get_rank, get_world_size, is_main_process
from mmengine.logging import MMLogger, print_log
from mmengine.runner import Runner, find_latest_checkpoint
from PIL import Image

from mmconta.datasets.instance_bank import write_index, write_instances
from mmconta.models.utils import require_pydensecrf
from mmconta.registry import DATASETS, RUNNERS
from mmconta.utils import (enable_amp, peak_memory, prepare_distributed,
                           prepare_pretrained, reset_peak_memory,
                           set_data_root, set_num_classes, write_atomic)

STAGES = ('cls', 'cam', 'refiner', 'refine', 'seg', 'seg_train')
REFINE_STAGES = ('refiner', 'refine')
# CDA's instance bank, before round t >= 1's classifier.
INSTANCE_STAGE = 'instances'
# Which stage config each stage runs.
_STAGE_CONFIG = dict(instances='cls', cls='cls', cam='cls', refiner='refine',
                     refine='refine', seg='seg', seg_train='seg')
INTERVENTIONS = ('conta', 'cda', 'both', 'none')
# Where CDA's bank cuts its objects from: round t-1's pseudo-masks or its
# segmentor's masks of the training split.
CDA_SOURCES = ('pseudo', 'seg_train')
DONE_FILE = 'DONE'
# Where seg_train writes the segmentor's foreground probability (soft x_m).
FG_PROB_DIR = 'fg_prob'
SUMMARY_FILE = 'summary.json'
# Under round_<t>/: the work dirs of test's runs, and the metrics it found.
TEST_DIR = 'test'
TEST_METRICS_FILE = 'test_metrics.json'


def _write_json(path: str, obj) -> None:
    write_atomic(path, lambda f: f.write(json.dumps(obj, indent=2).encode()))


@RUNNERS.register_module()
class ContaRoundRunner:
    """Run CONTA's rounds, each a chain of mmengine runs talking by files.

    Round 0 is the baseline; round t >= 1 retrains the classifier with an
    intervention against the context (``intervention``): CONTA's
    :class:`ContextAdjustedCAMHead`, whose confounder set and x_m are round
    t-1's files, CDA's pasted objects (:class:`PasteInstances`, from an
    instance bank of round t-1's masks), both, or none (the retraining
    control). Each round runs these stages, each in
    ``<work_dir>/round_<t>/<stage>/``:

    ``instances`` (rounds t >= 1 with CDA)
        CDA's instance bank (:mod:`mmconta.datasets.instance_bank`) from
        round t-1's masks of the training images.

    ``cls``
        Train the classifier (``cls.config``).
    ``cam``
        Its test loop (:class:`CAMGenerationLoop`): CAMs into ``cam/``,
        pseudo-masks into ``round_<t>/pseudo/``, seed and mask metrics.
        With a refinement method, the masks written are the refiner's
        training labels (the refine config's ``cam_labels``: confident
        foreground and background, 255 between) into
        ``round_<t>/cam_labels/``.
    ``refiner``, ``refine`` (only with ``refine``)
        Train the refinement network (``refine.config``: AffinityNet, IRN)
        on ``cam_labels/``, then its test loop (:class:`MaskPredictionLoop`)
        walks each training image's CAM into ``round_<t>/pseudo/``.
    ``seg``
        Train the segmentor (``seg.config``) on ``round_<t>/pseudo/``; its
        val mIoU on ground truth.
    ``seg_train``
        The segmentor predicts the training split: masks into
        ``seg_train/`` (next round's x_m), its train mIoU, and
        :class:`ConfounderBankHook` writes ``round_<t>/bank/``.

    A stage ends by writing ``DONE`` (JSON, atomically: its metrics, the
    files it wrote and kept, or the checkpoint it resumed from); a
    rerun skips stages with ``DONE`` and resumes the others from their own
    checkpoints (training) or files (CAMs), so the same command continues
    an interrupted loop. After each round ``summary.json`` is rewritten
    from the ``DONE`` files and the table is logged.

    :meth:`test` (``tools/test.py`` on the conta config) evaluates a
    finished round again from its files and checkpoints, without training.

    Every process of a distributed launch runs this loop; each stage is a
    distributed mmengine run, and files shared by all stages are written by
    rank 0 between barriers.

    Config keys:
        rounds (int): Number of rounds T (round 0 .. T-1).
        cls (dict): ``config`` (path of the classifier stage's config;
            ``{{fileDirname}}/...`` makes it relative to the conta config),
            ``cfg_options`` (dict merged into it).
        seg (dict): The same for the segmentation stage, plus
            ``init_from_classifier`` (bool): start the segmentor from the
            round's classifier checkpoint (its matching ``backbone.*``
            weights), for backbones without pretrained weights.
        refine (dict, optional): The same for the refinement stages (with
            ``init_from_classifier`` too). None: no refinement, the CAM
            stage's masks are the pseudo-masks.
        intervention (str): Rounds t >= 1: ``'conta'`` (CONTA's context
            adjustment, the default), ``'cda'`` (CDA's pasted objects),
            ``'both'``, or ``'none'`` (the retraining control: round t run
            as CONTA's round t, same pipeline, schedule and seed, without
            M).
        conta (dict): ``head`` (options of ``ContextAdjustedCAMHead``,
            e.g. ``inject``), ``bank`` (options of ``ConfounderBankHook``)
            and ``control`` (None, or ``'shuffled'``: each image gets
            another image's x_m).
        cda (dict): CDA's instance bank: ``source`` (``'pseudo'``, round
            t-1's pseudo-masks, as CDA; or ``'seg_train'``, its segmentor's
            masks) and ``min_fg_ratio``, ``max_fg_ratio`` (CDA's 0.1 and
            0.7). The paste itself is the options of the classifier
            pipeline's :class:`PasteInstances`.
        stop_after (str, optional): The last round stops after this stage
            (e.g. ``'seg'`` when its train-split masks and bank are not
            needed); its summary row leaves the skipped columns empty.
        data_root (str, optional): Put into every stage's datasets.
        num_classes (int, optional): The data's classes, background
            included; every stage's model gets it (the classifier and
            CONTA's head ``num_classes - 1``, the segmentor
            ``num_classes``). Defaults to None: each stage takes it from
            its dataset's class list.
        randomness (dict): Seed of round 0's stages; round t uses
            ``seed + t``, in every arm, so retraining noise is the same in
            CONTA and its controls.
        work_dir, launcher: As for mmengine.
        amp (bool): Mixed precision in the training stages
            (``tools/train.py --amp``).
        no_pretrained (bool): Train every stage from random weights
            (``tools/train.py --no-pretrained``). Otherwise each stage's
            pretrained loads are checked before round 0 starts, so that a
            missing file fails the run at once, not hours later.
    """

    def __init__(self,
                 work_dir: str,
                 rounds: int,
                 cls: dict,
                 seg: dict,
                 refine: Optional[dict] = None,
                 conta: Optional[dict] = None,
                 intervention: str = 'conta',
                 cda: Optional[dict] = None,
                 stop_after: Optional[str] = None,
                 data_root: Optional[str] = None,
                 num_classes: Optional[int] = None,
                 randomness: Optional[dict] = None,
                 launcher: str = 'none',
                 amp: bool = False,
                 no_pretrained: bool = False) -> None:
        if rounds < 1:
            raise ValueError(f'rounds must be >= 1, got {rounds}')
        self.work_dir = osp.abspath(work_dir)
        self.rounds = rounds
        # Stages that start from the round's classifier checkpoint.
        self.init_from_classifier = set()
        self.stage_cfgs = {'cls': self._load_stage(cls, 'cls')}
        for name, stage in (('seg', seg), ('refine', refine)):
            if stage is None:
                continue
            stage = dict(stage)
            if stage.pop('init_from_classifier', False):
                self.init_from_classifier.add(name)
            self.stage_cfgs[name] = self._load_stage(stage, name)
        if refine is not None:
            if self.stage_cfgs['refine'].get('cam_labels') is None:
                raise ValueError(
                    'refine: its config must set cam_labels, the options of '
                    'the CAM stage\'s training labels for the refiner '
                    '(bg_thr, ignore_band, crf)')
        if 'adjust' in (conta or {}):
            raise ValueError(
                'conta.adjust is now intervention: conta.adjust=False is '
                "intervention='none', True is intervention='conta'")
        if intervention not in INTERVENTIONS:
            raise ValueError(f'intervention must be one of {INTERVENTIONS}, '
                             f'got {intervention!r}')
        self.intervention = intervention
        self.cda = dict(source='pseudo', min_fg_ratio=0.1, max_fg_ratio=0.7)
        unknown = set(cda or {}) - set(self.cda)
        if unknown:
            raise ValueError(f'cda: unknown keys {sorted(unknown)}; known: '
                             f'{sorted(self.cda)}')
        self.cda.update(cda or {})
        if self.cda['source'] not in CDA_SOURCES:
            raise ValueError(f'cda.source must be one of {CDA_SOURCES}, got '
                             f'{self.cda["source"]!r}')
        if self.pastes:
            pipeline = self.stage_cfgs['cls'].train_dataloader.dataset.get(
                'pipeline', [])
            if not any(t.get('type') == 'PasteInstances' for t in pipeline):
                raise ValueError(
                    f'intervention={intervention!r} pastes with '
                    'PasteInstances, which the classifier\'s train pipeline '
                    'lacks (see configs/_base_/datasets/shapes_cls.py)')
        self.conta = dict(head=dict(), bank=dict(), control=None)
        unknown = set(conta or {}) - set(self.conta)
        if unknown:
            raise ValueError(f'conta: unknown keys {sorted(unknown)}; known: '
                             f'{sorted(self.conta)}')
        self.conta.update(conta or {})
        if self.conta['control'] not in (None, 'shuffled'):
            raise ValueError("conta.control must be None or 'shuffled', got "
                             f"{self.conta['control']!r}")
        if stop_after is not None and stop_after not in self.stages:
            raise ValueError(f'stop_after must be one of {self.stages}, got '
                             f'{stop_after!r}')
        self.stop_after = stop_after
        self.data_root = data_root
        self.num_classes = num_classes
        self.randomness = randomness or dict(seed=0)
        self.launcher = launcher
        self.amp = amp
        self.no_pretrained = no_pretrained
        self.logger: Optional[MMLogger] = None

    @staticmethod
    def _load_stage(stage: dict, name: str) -> Config:
        if 'config' not in stage:
            raise ValueError(f'{name}: needs config (a config file path)')
        unknown = set(stage) - {'config', 'cfg_options'}
        if unknown:
            raise ValueError(f'{name}: unknown keys {sorted(unknown)}')
        path = osp.normpath(stage['config'])
        if not osp.isfile(path):
            raise FileNotFoundError(f'{name}: config not found: {path}')
        cfg = Config.fromfile(path)
        cfg.merge_from_dict(_dotted(dict(stage.get('cfg_options') or {})))
        return cfg

    @classmethod
    def from_cfg(cls, cfg: Config) -> 'ContaRoundRunner':
        """Build from a ``configs/conta`` config (``runner_type``)."""
        return cls(
            work_dir=cfg.work_dir,
            rounds=cfg.rounds,
            cls=cfg.cls,
            seg=cfg.seg,
            refine=cfg.get('refine'),
            conta=cfg.get('conta'),
            intervention=cfg.get('intervention', 'conta'),
            cda=cfg.get('cda'),
            stop_after=cfg.get('stop_after'),
            data_root=cfg.get('data_root'),
            num_classes=cfg.get('num_classes'),
            randomness=cfg.get('randomness'),
            launcher=cfg.get('launcher', 'none'),
            amp=cfg.get('amp', False),
            no_pretrained=cfg.get('no_pretrained', False))

    # Paths ------------------------------------------------------------
    def round_dir(self, t: int) -> str:
        return osp.join(self.work_dir, f'round_{t}')

    def stage_dir(self, t: int, stage: str) -> str:
        return osp.join(self.round_dir(t), stage)

    def pseudo_dir(self, t: int) -> str:
        return osp.join(self.round_dir(t), 'pseudo')

    def cam_labels_dir(self, t: int) -> str:
        return osp.join(self.round_dir(t), 'cam_labels')

    @property
    def refines(self) -> bool:
        return 'refine' in self.stage_cfgs

    @property
    def adjusts(self) -> bool:
        """Whether rounds t >= 1 train CONTA's context-adjusted head."""
        return self.intervention in ('conta', 'both')

    @property
    def pastes(self) -> bool:
        """Whether rounds t >= 1 train on CDA's pasted copies too."""
        return self.intervention in ('cda', 'both')

    @property
    def stages(self) -> Tuple[str, ...]:
        """This method's stages, in order."""
        return tuple(s for s in STAGES
                     if self.refines or s not in REFINE_STAGES)

    def stages_of_round(self, t: int) -> Tuple[str, ...]:
        """Round t's stages: all of them (with CDA's bank first from round
        1) but in a last round cut short by ``stop_after``."""
        stages = self.stages
        if self.stop_after is not None and t == self.rounds - 1:
            stages = stages[:stages.index(self.stop_after) + 1]
        if t > 0 and self.pastes:
            stages = (INSTANCE_STAGE, ) + stages
        return stages

    def instance_dir(self, t: int) -> str:
        return self.stage_dir(t, INSTANCE_STAGE)

    def bank_file(self, t: int) -> str:
        return osp.join(self.round_dir(t), 'bank', 'confounder_bank.npz')

    def done_file(self, t: int, stage: str) -> str:
        return osp.join(self.stage_dir(t, stage), DONE_FILE)

    # The loop ---------------------------------------------------------
    def train(self) -> List[dict]:
        """Run every unfinished stage of every round.

        Returns:
            list[dict]: The summary rows, one per round.
        """
        run_stage: Dict[str, Callable[[int, Config], dict]] = {
            INSTANCE_STAGE: self._bank_instances,
            'cls': self._train_classifier,
            'cam': self._generate_cams,
            'refiner': self._train_refiner,
            'refine': self._refine,
            'seg': self._train_segmentor,
            'seg_train': self._predict_train_split,
        }
        self._open_log()
        self._check_requirements()
        rows = []
        for t in range(self.rounds):
            for stage in self.stages_of_round(t):
                done = self.done_file(t, stage)
                if osp.isfile(done):
                    self._log(f'round {t} {stage}: done, skipped ({done})')
                    continue
                self._log(f'round {t} {stage}: running')
                start = time.time()
                reset_peak_memory()
                record = run_stage[stage](t, self._stage_cfg(t, stage))
                gc.collect()
                record['seconds'] = round(time.time() - start, 1)
                # This process's (rank 0's in the DONE record).
                record.update(peak_memory())
                if is_main_process():
                    _write_json(done, record)
                barrier()
            rows = self._write_summary(t)
        return rows

    def _check_requirements(self) -> None:
        """What a stage needs and lacks fails the run before round 0, not
        after the stages before it: pretrained weights (or drop them with
        ``no_pretrained``) and, where pseudo-masks use it, the dense CRF."""
        for name, cfg in self.stage_cfgs.items():
            prepare_pretrained(cfg.get('model'), self.no_pretrained,
                               where=f'{name} stage: ')
        pseudo_masks = [self.stage_cfgs['cls'].get('test_cfg', {}).get(
            'pseudo_mask') or {}]
        if self.refines:
            pseudo_masks.append(self.stage_cfgs['refine'].cam_labels)
        if any(options.get('crf') is not None for options in pseudo_masks):
            require_pydensecrf()

    def _open_log(self) -> None:
        os.makedirs(self.work_dir, exist_ok=True)
        self.logger = MMLogger.get_instance(
            f'conta_{time.strftime("%Y%m%d_%H%M%S")}_{id(self)}',
            log_file=osp.join(self.work_dir, 'conta.log'),
            log_level='INFO',
            file_mode='a')  # a resumed or tested loop appends

    def _log(self, msg: str, level: int = logging.INFO) -> None:
        print_log(f'[conta] {msg}', logger=self.logger, level=level)

    # Test -------------------------------------------------------------
    def test(self, round: Optional[int] = None) -> Dict[str, dict]:
        """Evaluate a finished round again from its files and checkpoints.

        Nothing is trained and no file a stage wrote is rewritten: each
        stage's evaluation runs again on what the stage left, through the
        same stage configs and loops as :meth:`train`. The classifier and
        the segmentor are validated from their checkpoints; the CAM loop
        reads the CAM and mask files back (seed and mask metrics); the
        refined masks and the training-split predictions are read back by
        :class:`MaskPredictionLoop` (the confounder bank is not rebuilt).
        Only files deleted since are written again, as the stage would
        write them; a warning counts the CAM files and predicted masks
        among them. Each run's mmengine work dir (logs, CAM overlays) is
        ``round_<t>/test/<stage>/``.

        The metrics go to ``round_<t>/test_metrics.json`` and are logged as
        a table beside the ``DONE`` records', with a warning for each that
        differs.

        Args:
            round (int, optional): The round to evaluate. Defaults to the
                last round whose stages are all finished.

        Returns:
            dict[str, dict]: Per stage, its metrics, as its ``DONE`` holds
            them (none for the refiner, nor for the classifier of a round
            t >= 1, which has no validation).
        """
        t = self.round_to_test(round)
        self._open_log()
        evaluate: Dict[str, Callable[[int, Config], dict]] = {
            # Files, not figures: nothing to evaluate again.
            INSTANCE_STAGE: lambda *args: dict(metrics={}),
            'cls': partial(self._validate, stage='cls'),
            'cam': self._generate_cams,
            # Its DONE holds no metrics: the walk is scored in ``refine``.
            'refiner': lambda *args: dict(metrics={}),
            'refine': self._refine,
            'seg': partial(self._validate, stage='seg'),
            'seg_train': partial(self._predict_train_split, write_bank=False),
        }
        results = {}
        for stage in self.stages_of_round(t):
            self._log(f'round {t} {stage}: evaluating')
            cfg = self._stage_cfg(t, stage)
            cfg.work_dir = osp.join(self.round_dir(t), TEST_DIR, stage)
            record = evaluate[stage](t, cfg)
            gc.collect()
            if record.get('written'):
                self._log(
                    f'round {t} {stage}: {record["written"]} missing '
                    'file(s) written again', logging.WARNING)
            results[stage] = record['metrics']
        path = osp.join(self.round_dir(t), TEST_METRICS_FILE)
        if is_main_process():
            _write_json(path, results)
        barrier()
        self._compare_with_done(t, results, path)
        return results

    def round_to_test(self, round: Optional[int] = None) -> int:
        """The round :meth:`test` evaluates, checked to be finished.

        Args:
            round (int, optional): A round. Defaults to the last round
                whose stages all have ``DONE``.

        Returns:
            int: The round.

        Raises:
            ValueError: ``round`` is not one of the config's rounds.
            FileNotFoundError: The work dir holds no loop, or the round (for
                None: every round) has a stage without ``DONE``.
        """
        if round is not None and not 0 <= round < self.rounds:
            raise ValueError(
                f'round {round} is out of range: the config has rounds='
                f'{self.rounds} (rounds 0..{self.rounds - 1})')
        if not osp.isdir(self.round_dir(0)):
            raise FileNotFoundError(
                f'{self.work_dir} holds no round loop (no round_0/): train '
                'one there first, or give the work dir of one')
        if round is None:
            finished = [t for t in range(self.rounds)
                        if not self._unfinished(t)]
            if not finished:
                raise FileNotFoundError(
                    f'{self.work_dir} holds no finished round: '
                    + self._unfinished_message(0))
            return finished[-1]
        if self._unfinished(round):
            raise FileNotFoundError(self._unfinished_message(round))
        return round

    def _unfinished(self, t: int) -> List[str]:
        """Round t's stages without ``DONE``."""
        return [s for s in self.stages_of_round(t)
                if not osp.isfile(self.done_file(t, s))]

    def _unfinished_message(self, t: int) -> str:
        if not osp.isdir(self.round_dir(t)):
            return (f'round {t} has not started: no {self.round_dir(t)}; '
                    'rerun the training command to run it')
        missing = self._unfinished(t)
        return (f'round {t} is not finished: stages {missing} have no '
                f'{DONE_FILE} (e.g. {self.done_file(t, missing[0])}); '
                'rerun the training command to finish it')

    def _validate(self, t: int, cfg: Config, stage: str) -> dict:
        """A training stage's validation from its checkpoint, or none where
        its config has none (as in its ``DONE``)."""
        if not cfg.get('val_dataloader'):
            return dict(metrics={})
        cfg.load_from = self._checkpoint(t, stage)
        return dict(metrics=_plain(self._build(cfg).val()))

    def _compare_with_done(self, t: int, results: Dict[str, dict],
                           path: str) -> None:
        """Log the metrics beside the ``DONE`` records', and a warning for
        each that differs or is in one of them only."""
        rows, notes = [], []
        for stage, metrics in results.items():
            with open(self.done_file(t, stage)) as f:
                done = json.load(f).get('metrics', {})
            keys = list(metrics) + [k for k in done if k not in metrics]
            if not keys:
                rows.append(dict(stage=stage, metric='-', test=None,
                                 DONE=None))
            for key in keys:
                value, recorded = metrics.get(key), done.get(key)
                rows.append(dict(stage=stage, metric=key, test=value,
                                 DONE=recorded))
                # Summation order may change with the process count; the
                # metrics are percentages or thresholds.
                if value is None or recorded is None or not math.isclose(
                        value, recorded, rel_tol=0, abs_tol=1e-4):
                    notes.append(
                        f'{stage} {key}: {_or_missing(value)} now, '
                        f'{_or_missing(recorded)} in DONE')
        self._log(f'round {t} test ({path}):\n' + summary_table(rows))
        for note in notes:
            self._log(f'round {t} test: {note}', logging.WARNING)

    def _stage_cfg(self, t: int, stage: str) -> Config:
        """A copy of the stage's config, placed and seeded for round t."""
        cfg = copy.deepcopy(self.stage_cfgs[_STAGE_CONFIG[stage]])
        cfg.work_dir = self.stage_dir(t, stage)
        cfg.launcher = self.launcher
        cfg.randomness = dict(copy.deepcopy(self.randomness))
        cfg.randomness['seed'] = cfg.randomness.get('seed', 0) + t
        # mmengine keys its logger, message hub and visualizer by name; one
        # name per stage keeps stages from sharing them.
        cfg.experiment_name = f'round_{t}_{stage}_{time.strftime("%H%M%S")}'
        if cfg.get('visualizer') is not None:
            cfg.visualizer.name = cfg.experiment_name
        if self.data_root is not None:
            set_data_root(cfg, self.data_root)
        set_num_classes(cfg, self.num_classes)
        prepare_distributed(cfg)
        if self.amp and stage in ('cls', 'refiner', 'seg'):
            enable_amp(cfg)
        if stage in ('cls', 'cam') and t > 0:
            self._adjust_context(cfg, t, stage)
        return cfg

    @property
    def context_at_cam(self) -> bool:
        """Whether CONTA's CAMs read x_m (M in the backbone, or M's term in
        the CAMs), so that the CAM stage loads it too."""
        head = self.conta['head']
        return self.adjusts and (
            head.get('inject', 'classifier') != 'classifier'
            or head.get('cam_with_context', False))

    def _previous_mask_inputs(self, t: int) -> dict:
        """x_m of round t, as dataset arguments: round t-1's train-split
        masks (shuffled across images in the ``'shuffled'`` control)."""
        mask_dir = self.stage_dir(t - 1, 'seg_train')
        if self.conta['head'].get('x_m', 'binary') == 'soft':
            mask_dir = osp.join(mask_dir, FG_PROB_DIR)
        inputs = dict(prev_mask_dir=mask_dir)
        if self.conta['control'] == 'shuffled':
            inputs['prev_mask_shuffle_seed'] = self.randomness.get(
                'seed', 0) + t
        return inputs

    def _adjust_context(self, cfg: Config, t: int, stage: str) -> None:
        """Round t >= 1: CONTA's head on round t-1's bank and masks.

        The classifier is trained with x_m = round t-1's ``seg_train`` mask
        of each image: its dataset gets ``prev_mask_dir``, read by the
        pipeline's :class:`LoadPreviousMask`. Validation is dropped: val
        images have no x_m (the segmentor predicts the training split only).
        The retraining control (``intervention='none'``) keeps the same
        data and schedule and the plain head. With CDA the classifier's
        dataset also gets round t's instance bank, whose copies
        :class:`PasteInstances` pairs with the images, and the batches are
        flattened (:func:`flatten_pairs_collate`).
        """
        if self.adjusts:
            cfg.model.head.update(type='ContextAdjustedCAMHead',
                                  bank_file=self.bank_file(t - 1),
                                  **self.conta['head'])
        if stage == 'cls':
            cfg.train_dataloader.dataset.update(self._previous_mask_inputs(t))
            cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
            if self.pastes:
                cfg.train_dataloader.dataset.instance_dir = \
                    self.instance_dir(t)
                cfg.train_dataloader.collate_fn = dict(
                    type='flatten_pairs_collate')
        elif self.context_at_cam:
            cfg.test_dataloader.dataset.update(self._previous_mask_inputs(t))

    # Stages -----------------------------------------------------------
    @staticmethod
    def _build(cfg: Config) -> Runner:
        return Runner.from_cfg(cfg)

    def _test(self, cfg: Config) -> Tuple[Runner, dict]:
        """Run a test loop that writes files; the record counts the files
        this run wrote and those a killed run had finished."""
        runner = self._build(cfg)
        metrics = runner.test()
        return runner, dict(
            metrics=_plain(metrics),
            written=runner.test_loop.num_written,
            kept=runner.test_loop.num_kept,
            seconds_per_batch=_seconds_per_iter(runner, 'test'))

    def _train(self, cfg: Config) -> Tuple[Runner, dict]:
        """Train; the record says which checkpoint it resumed from."""
        # Resume from the stage's own latest checkpoint when a previous run
        # was interrupted; a fresh stage starts from scratch.
        checkpoint = find_latest_checkpoint(cfg.work_dir)
        # mmengine names the latest checkpoint in a file written after the
        # checkpoint itself; a kill between the two leaves it empty.
        if checkpoint is not None and not osp.isfile(checkpoint):
            raise FileNotFoundError(
                f'{cfg.work_dir}/last_checkpoint names {checkpoint!r}, which '
                'is not a file: remove last_checkpoint to restart the stage')
        cfg.resume = checkpoint is not None
        if cfg.resume:
            # mmengine resumes from load_from when one is set (a stage's
            # initial weights, e.g. the refiner's classifier checkpoint),
            # not from the stage's own latest checkpoint.
            cfg.load_from = checkpoint
        runner = self._build(cfg)
        runner.train()
        return runner, dict(
            resumed_from=checkpoint and osp.basename(checkpoint),
            iterations=runner.iter,
            seconds_per_iter=_seconds_per_iter(runner, 'train'))

    def _bank_instances(self, t: int, cfg: Config) -> dict:
        """CDA's instance bank of round t from round t-1's masks."""
        source = DATASETS.build(
            dict(cfg.train_dataloader.dataset, pipeline=[]))
        images = [(info['img_id'], info['img_path'])
                  for info in map(source.get_data_info, range(len(source)))]
        mask_dir = (self.pseudo_dir(t - 1) if self.cda['source'] == 'pseudo'
                    else self.stage_dir(t - 1, 'seg_train'))
        classes = source.metainfo['classes']
        os.makedirs(self.instance_dir(t), exist_ok=True)
        write_instances(
            images, mask_dir, self.instance_dir(t), classes,
            self.cda['min_fg_ratio'], self.cda['max_fg_ratio'],
            get_rank(), get_world_size())
        barrier()
        counts = {}
        if is_main_process():
            counts = write_index(self.instance_dir(t), classes)
            empty = [name for name, n in counts.items() if not n]
            if empty:
                self._log(
                    f'round {t} instances: no simple image of {empty} in '
                    f'{mask_dir}: CDA pastes no object of these classes',
                    logging.WARNING)
        barrier()
        return dict(metrics={}, instances=counts, source=mask_dir)

    def _train_classifier(self, t: int, cfg: Config) -> dict:
        runner, record = self._train(cfg)
        metrics = {}
        if runner.val_loop is not None and cfg.get('val_dataloader'):
            metrics = runner.val()
        return dict(record, metrics=_plain(metrics))

    def _checkpoint(self, t: int, stage: str) -> str:
        ckpt = find_latest_checkpoint(self.stage_dir(t, stage))
        if ckpt is None:
            raise FileNotFoundError(
                f'round {t}: stage {stage} has no checkpoint in '
                f'{self.stage_dir(t, stage)}')
        return ckpt

    def _generate_cams(self, t: int, cfg: Config) -> dict:
        cfg.load_from = self._checkpoint(t, 'cls')
        if cfg.test_cfg.get('pseudo_mask') is None:
            raise ValueError('cls: the CAM loop (test_cfg) must write '
                             'pseudo-masks: set test_cfg.pseudo_mask')
        pseudo_mask = dict(cfg.test_cfg['pseudo_mask'],
                           out_dir=self.pseudo_dir(t))
        if self.refines:
            pseudo_mask.update(self.stage_cfgs['refine'].cam_labels,
                               out_dir=self.cam_labels_dir(t))
        cfg.test_cfg = dict(
            cfg.test_cfg,
            cam_dir=self.stage_dir(t, 'cam'),
            pseudo_mask=pseudo_mask)
        return self._test(cfg)[1]

    def _train_refiner(self, t: int, cfg: Config) -> dict:
        cfg.train_dataloader.dataset.pseudo_dir = self.cam_labels_dir(t)
        if 'refine' in self.init_from_classifier:
            cfg.load_from = self._checkpoint(t, 'cls')
        _, record = self._train(cfg)
        return dict(record, metrics={})

    def _refine(self, t: int, cfg: Config) -> dict:
        """The refiner walks every training image's CAM to a pseudo-mask."""
        cfg.load_from = self._checkpoint(t, 'refiner')
        # Read by the test pipeline's LoadCAM.
        cfg.test_dataloader.dataset.cam_dir = self.stage_dir(t, 'cam')
        cfg.test_dataloader.sampler = dict(
            type='DefaultSampler', shuffle=False)
        cfg.test_cfg = dict(type='MaskPredictionLoop',
                            out_dir=self.pseudo_dir(t))
        return self._test(cfg)[1]

    def _train_segmentor(self, t: int, cfg: Config) -> dict:
        cfg.train_dataloader.dataset.pseudo_dir = self.pseudo_dir(t)
        if 'seg' in self.init_from_classifier:
            cfg.load_from = self._checkpoint(t, 'cls')
        runner, record = self._train(cfg)
        # Without masks anywhere there is no split to validate on.
        metrics = runner.val() if cfg.get('val_dataloader') else {}
        return dict(record, metrics=_plain(metrics))

    def _predict_train_split(self, t: int, cfg: Config,
                             write_bank: bool = True) -> dict:
        """The segmentor on the training split: x_m files and (with
        ``write_bank``) the bank."""
        cfg.load_from = self._checkpoint(t, 'seg')
        out_dir = self.stage_dir(t, 'seg_train')
        dataset = cfg.train_dataloader.dataset
        source = dataset.get('dataset', dataset)
        cfg.test_dataloader = dict(
            cfg.test_dataloader,
            dataset=dict(source,
                         pipeline=cfg.test_dataloader.dataset.pipeline),
            sampler=dict(type='DefaultSampler', shuffle=False))
        cfg.test_cfg = dict(type='MaskPredictionLoop', out_dir=out_dir,
                            fg_prob_dir=osp.join(out_dir, FG_PROB_DIR))
        # mmseg's IoUMetric on masks without ignored pixels, and no figure
        # where the training split has no ground truth.
        cfg.test_evaluator = dict(type='PseudoMaskMetric', prefix='train')
        if write_bank:
            cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
                dict(type='ConfounderBankHook',
                     out_dir=osp.dirname(self.bank_file(t)),
                     **self.conta['bank'])
            ]
        runner, record = self._test(cfg)
        record['area_ratio'] = self._check_collapse(
            t, runner.test_dataloader.dataset.metainfo['classes'])
        return record

    def _check_collapse(self, t: int,
                        classes: List[str]) -> Dict[str, float]:
        """Per class, the segmentor's predicted area on the training split
        over its pseudo-masks' area; a warning names each class below 0.1.

        These predictions are the next round's x_m and confounders, so a
        collapsed class leaves CONTA nothing to adjust with.
        """
        predicted = class_areas(self.stage_dir(t, 'seg_train'))
        pseudo = class_areas(self.pseudo_dir(t))
        ratios = {}
        for k in range(1, len(pseudo)):
            if pseudo[k] == 0:
                continue
            name = classes[k] if k < len(classes) else str(k)
            ratios[name] = round(float(predicted[k] / pseudo[k]), 4)
        collapsed = [name for name, r in ratios.items() if r < 0.1]
        if collapsed:
            print_log(
                f'[conta] round {t} seg: the segmentor predicts under a '
                f'tenth of the pseudo-masks\' area for {collapsed} on the '
                f'training split ({ {c: ratios[c] for c in collapsed} }): '
                'these classes collapsed', logger=self.logger,
                level=logging.WARNING)
        return ratios

    # Summary ----------------------------------------------------------
    def _summary_sources(self) -> Dict[str, Tuple[str, str]]:
        """Where each summary column comes from: (stage, metric key).

        ``mask_miou`` scores the pseudo-masks the segmentor trains on: the
        refined ones with a refinement method, whose training labels are
        then ``label_miou`` (over the pixels they label) with
        ``label_ignore`` (% of pixels left unlabelled).
        """
        sources = {
            'seed_miou': ('cam', 'seed/mIoU'),
            'seed_best_miou': ('cam', 'seed/best_mIoU'),
            'seed_best_thr': ('cam', 'seed/best_thr'),
            'context_share': ('cam', 'seed/context_share'),
        }
        if self.refines:
            sources.update(
                label_miou=('cam', 'mask/mIoU'),
                label_ignore=('cam', 'mask/ignore_ratio'),
                mask_miou=('refine', 'mask/mIoU'))
        else:
            sources['mask_miou'] = ('cam', 'mask/mIoU')
        sources.update(
            seg_val_miou=('seg', 'mIoU'),
            seg_train_miou=('seg_train', 'train/mIoU'))
        return sources

    def _row(self, t: int) -> dict:
        row = dict(round=t)
        for column, (stage, key) in self._summary_sources().items():
            row[column] = None
            if stage in self.stages_of_round(t):
                with open(self.done_file(t, stage)) as f:
                    row[column] = json.load(f)['metrics'].get(key)
        return row

    def _write_summary(self, t: int) -> List[dict]:
        rows = [self._row(r) for r in range(t + 1)]
        if is_main_process():
            _write_json(osp.join(self.work_dir, SUMMARY_FILE), rows)
        self._log(f'summary after round {t} '
                  f'({osp.join(self.work_dir, SUMMARY_FILE)}):\n'
                  + summary_table(rows))
        return rows


def _dotted(options: dict, prefix: str = '') -> dict:
    """``cfg_options`` with nested dicts spelled as dotted keys.

    A conta config writes ``'test_dataloader.dataset.ann_file'`` and
    ``--cfg-options cls.cfg_options.test_dataloader.dataset.indices=8``
    arrives nested, as ``{'test_dataloader': {...}}``; mmengine's
    ``merge_from_dict`` lets the nested one replace what the dotted one set.
    Dotted throughout, both apply.
    """
    flat = {}
    for key, value in options.items():
        if isinstance(value, dict) and value and '_delete_' not in value:
            flat.update(_dotted(value, f'{prefix}{key}.'))
        else:
            flat[f'{prefix}{key}'] = value
    return flat


def _seconds_per_iter(runner: Runner, mode: str) -> Optional[float]:
    """Median seconds of one ``mode`` iteration of this process, as
    mmengine's IterTimerHook measured it, without the first (which carries
    the start-up); None when nothing was timed."""
    history = runner.message_hub.log_scalars.get(f'{mode}/time')
    if history is None:
        return None
    times = history.data[0]
    if len(times) > 1:
        times = times[1:]
    return round(float(np.median(times)), 4) if len(times) else None


def class_areas(folder: str) -> np.ndarray:
    """Pixel count of each label id (0-254) over the PNG masks of a folder."""
    counts = np.zeros(255, np.int64)
    for name in sorted(os.listdir(folder)):
        if name.endswith('.png'):
            with Image.open(osp.join(folder, name)) as mask:
                counts += np.bincount(
                    np.asarray(mask).reshape(-1), minlength=256)[:255]
    return counts


def _plain(metrics: Optional[dict]) -> dict:
    """Metrics as JSON-friendly floats."""
    return {k: float(v) for k, v in (metrics or {}).items()
            if isinstance(v, (int, float)) or hasattr(v, 'item')}


def _or_missing(value: Optional[float]) -> str:
    return 'missing' if value is None else str(value)


def summary_table(rows: List[dict]) -> str:
    """The summary rows as a Markdown table (mIoU in %, 2 decimals)."""
    if not rows:
        return ''
    columns = list(rows[0])

    def cell(value) -> str:
        if value is None:
            return '-'
        if isinstance(value, float):
            return f'{value:.2f}'
        return str(value)

    lines = ['| ' + ' | '.join(columns) + ' |',
             '|' + '---|' * len(columns)]
    lines += ['| ' + ' | '.join(cell(r[c]) for c in columns) + ' |'
              for r in rows]
    return '\n'.join(lines)
