"""Baselines that hold: round 0 of CAM, IRN and SEAM on both benchmark modes.

Grid: modes x data seeds x methods, every set confounded (``--confounding``
0.9, ``--cooccurrence`` 0.9):

* modes: ``easy`` (the quickstart's set) and ``hard``
  (``make_confounded_shapes.py --difficulty hard``);
* methods: ``cam``, ``irn``, ``seam``: round 0 of
  ``configs/conta/<method>_shapes.py`` (``rounds=1``, training seed 0) in
  ``runs/<mode>_d<seed>/<method>``. The IRN run links the CAM run's
  classifier (``irn_shapes.py`` trains ``cam_shapes.py``'s), so the two
  differ only in the refinement.
* variants (``VARIANTS``, fixed before the runs): one setting changed
  against its method's run, whose finished stages it links, in
  ``runs/<mode>_d<seed>/<variant>``: the refiners' walks (the refine stage
  only) and the segmentation schedule (the seg stages only).

Runs go ``--jobs`` at a time, one thread each; finished runs are skipped,
so a rerun continues the grid. ``--report-only`` writes the tables
(``results.md``, ``results.json``): per (mode, method) mean ± std over data
seeds of seed mIoU, refined-mask mIoU, segmentor val mIoU, val over pseudo
mask mIoU and the weakest class's train IoU (the segmentor's predictions on
the training split against ground truth: CONTA's x_m); refined minus seeds
and each variant minus its base, paired by data seed, with a 95 % t
interval; and the seed mIoU of every run's CAMs over background thresholds
(read from the CAM files), which chooses the seed threshold on the
aggregate of both modes.

Example::

    python tools/experiments/baselines.py --work-dir work_dirs/baselines
    python tools/experiments/baselines.py --work-dir work_dirs/baselines \\
        --report-only
"""
import argparse
import json
import os
import os.path as osp
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image

from mmconta.evaluation.functional import area_iou, seed_sweep_areas
from mmconta.models.utils import cam_argmax
from mmconta.utils import load_cam_file

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from common import (REPO, class_iou, finished, interval,  # noqa: E402
                    make_shapes, train_run)

METHODS = ('cam', 'irn', 'seam')
MODES = ('easy', 'hard')
# What a method's run links from another method's run of the same cell
# (not the CAMs: IRN's CAM stage also writes the refiner's labels).
SHARED = {'irn': ('cam', ('cls',))}
# What a walk variant links: everything before the refine stage.
BEFORE_WALK = ('cls', 'cam', 'cam_labels', 'refiner')
# The two settings under test, as options; each method's run pins the
# control (mmseg's cross-entropy, IRN's single peak), so the grid measures
# the same contrast whatever the configs' defaults are.
SEG_LOSS = 'seg.cfg_options.model.decode_head.loss_decode.type='
BALANCED = SEG_LOSS + 'ClassBalancedCrossEntropyLoss'
CLASS_NORM = 'refine.cfg_options.model.class_norm='
MIX = ['refine.cfg_options.model.cam_mix=0.5',
       'refine.cfg_options.model.bg_thr=0.5']
# The same mix against a threshold chosen on the walks of irn_both's six
# sets: the best worst mode of refined - seed over cam_mix 0-0.5 and
# bg_thr 0.5-0.75.
MIX55 = ['refine.cfg_options.model.cam_mix=0.5',
         'refine.cfg_options.model.bg_thr=0.55']
CONTROL = {
    'cam': [SEG_LOSS + 'CrossEntropyLoss'],
    'irn': [SEG_LOSS + 'CrossEntropyLoss', CLASS_NORM + 'False'],
    'seam': [SEG_LOSS + 'CrossEntropyLoss', CLASS_NORM + 'False'],
}


def _walk(method: str, option: str) -> tuple:
    """A variant of a method's walk: ``option`` of its refiner's model."""
    return method, BEFORE_WALK, [f'refine.cfg_options.model.{option}']


def _seg(method: str, *options: str) -> tuple:
    """A variant of a method's segmentor, on its run's pseudo-masks."""
    before_seg = ('cls', 'cam', 'pseudo') if method == 'cam' else \
        BEFORE_WALK + ('refine', 'pseudo')
    return method, before_seg, list(options)


# name -> (base method, stages linked from its run, cfg-options). A variant
# that links the refiner but not the refine stage re-runs the walk; it
# stops there unless it changes the segmentor too.
VARIANTS = {
    'irn_logt0': _walk('irn', 'logt=0'),
    'irn_logt2': _walk('irn', 'logt=2'),
    'irn_logt4': _walk('irn', 'logt=4'),
    'irn_bg0.65': _walk('irn', 'bg_thr=0.65'),
    'irn_bg0.85': _walk('irn', 'bg_thr=0.85'),
    'seam_logt0': _walk('seam', 'logt=0'),
    'seam_logt2': _walk('seam', 'logt=2'),
    'seam_logt8': _walk('seam', 'logt=8'),
    'seam_beta8': _walk('seam', 'beta=8'),
    'seam_alpha2': _walk('seam', 'bg_alpha=2'),
    'cam_seg20': _seg('cam', 'seg.cfg_options.train_cfg.max_epochs=20'),
    'irn_seglr0.01': _seg('irn',
                          'seg.cfg_options.optim_wrapper.optimizer.lr=0.01'),
    # Each walked class divided by its own peak (BaseRefiner.class_norm).
    'irn_classnorm': _walk('irn', 'class_norm=True'),
    'seam_classnorm': _walk('seam', 'class_norm=True'),
    # The class-balanced cross-entropy (ClassBalancedCrossEntropyLoss).
    'cam_balanced': _seg('cam', BALANCED),
    'irn_balanced': _seg('irn', BALANCED),
    'seam_balanced': _seg('seam', BALANCED),
    # Both, the candidate defaults of this sweep.
    'irn_both': ('irn', BEFORE_WALK, [CLASS_NORM + 'True', BALANCED]),
    'seam_both': ('seam', BEFORE_WALK, [CLASS_NORM + 'True', BALANCED]),
    # class_norm's masks through the control's segmentor: against *_both
    # it isolates the loss, against the method's run the walk.
    'irn_classnorm_ce': ('irn', BEFORE_WALK,
                         [CLASS_NORM + 'True', SEG_LOSS + 'CrossEntropyLoss']),
    'seam_classnorm_ce': ('seam', BEFORE_WALK,
                          [CLASS_NORM + 'True',
                           SEG_LOSS + 'CrossEntropyLoss']),
    # The walked score mixed with the CAM it started from
    # (BaseRefiner.cam_mix) against the seeds' own threshold, on top of
    # *_both; SEAM's PSA background gives way to that threshold.
    'irn_mix': ('irn', BEFORE_WALK, [CLASS_NORM + 'True', *MIX, BALANCED]),
    'irn_mix55': ('irn', BEFORE_WALK,
                  [CLASS_NORM + 'True', *MIX55, BALANCED]),
    'seam_mix': ('seam', BEFORE_WALK,
                 [CLASS_NORM + 'True', *MIX, BALANCED,
                  'refine.cfg_options.model.bg_alpha=None']),
}
# Contrasts beyond each variant's base: (variant, reference run).
CONTRASTS = (('irn_both', 'irn_classnorm_ce'),
             ('seam_both', 'seam_classnorm_ce'), ('irn_mix', 'irn_both'),
             ('irn_mix55', 'irn_both'), ('seam_mix', 'seam_both'))
THRESHOLDS = tuple(np.round(np.arange(0.3, 0.76, 0.05), 2))


def mode_data(work_dir: str, mode: str, seed: int, args) -> str:
    return make_shapes(
        work_dir, seed, args.confounding, args.num_train,
        extra=['--cooccurrence', str(args.cooccurrence),
               '--difficulty', mode], name=f'{mode}_d{seed}')


def link_stages(run_dir: str, source: str, stages: Sequence[str]) -> None:
    """Link ``source``'s finished round-0 entries into ``run_dir``."""
    os.makedirs(osp.join(run_dir, 'round_0'), exist_ok=True)
    for stage in stages:
        link = osp.join(run_dir, 'round_0', stage)
        if not osp.lexists(link):
            os.symlink(osp.join('..', '..', source, 'round_0', stage), link)


def run_one(cell: str, data_root: str, name: str, args) -> None:
    run_dir = osp.join(cell, name)
    if finished(run_dir, 1):
        return
    if name in VARIANTS:
        method, stages, options = VARIANTS[name]
        link_stages(run_dir, method, stages)
        walk_only = 'refine' not in stages and not any(
            o.startswith('seg.') for o in options)
        options = CONTROL[method] + options + (['stop_after=refine']
                                               if walk_only else [])
    else:
        method, options = name, CONTROL[name]
        if name in SHARED:
            link_stages(run_dir, *SHARED[name])
    config = osp.join(REPO, f'configs/conta/{method}_shapes.py')
    train_run(config, run_dir, data_root,
              ['rounds=1', 'randomness.seed=0', *options], args.threads)


def run_grid(args) -> None:
    cells = [(osp.join(args.work_dir, 'runs', f'{mode}_d{seed}'),
              mode_data(args.work_dir, mode, seed, args))
             for mode in args.modes for seed in args.data_seeds]
    with ThreadPoolExecutor(args.jobs) as pool:
        # Methods first, each cell's dependencies before their users, so
        # that no worker waits on a run queued behind it.
        futures: Dict[tuple, object] = {}
        order = [m for m in args.methods if m not in SHARED] + [
            m for m in args.methods if m in SHARED]
        order += [v for v in args.variants]

        def after(cell: str, data_root: str, name: str) -> None:
            base = VARIANTS[name][0] if name in VARIANTS else name
            needs = [SHARED[base][0]] if base in SHARED else []
            needs += [base] if name in VARIANTS else []
            for need in needs:
                if (cell, need) in futures:
                    futures[(cell, need)].result()
            run_one(cell, data_root, name, args)

        for name in order:
            for cell, data_root in cells:
                futures[(cell, name)] = pool.submit(after, cell, data_root,
                                                    name)
        for future in futures.values():
            future.result()


# Report -------------------------------------------------------------------
def threshold_curve(cam_dir: str, data_root: str) -> List[float]:
    """Seed mIoU (%) of a CAM stage's files at each of ``THRESHOLDS``."""
    num_classes = len(
        open(osp.join(data_root, 'class_names.txt')).read().split())
    areas = 0
    for name in sorted(os.listdir(cam_dir)):
        if not name.endswith('.npz'):
            continue
        cam = load_cam_file(osp.join(cam_dir, name), require_high_res=True)
        peak, best = cam_argmax(cam.high_res, cam.keys)
        label = np.asarray(Image.open(osp.join(
            data_root, 'SegmentationClass', name[:-4] + '.png')))
        areas = areas + seed_sweep_areas(peak, best, label, THRESHOLDS,
                                         num_classes).numpy()
    return [float(np.nanmean(area_iou(a)) * 100) for a in areas]


def read_run(run_dir: str, data_root: str) -> Optional[dict]:
    if not finished(run_dir, 1):
        return None
    row = json.load(open(osp.join(run_dir, 'summary.json')))[0]
    out = {k: row.get(k) for k in ('seed_miou', 'mask_miou', 'seg_val_miou')}
    seg_train = osp.join(run_dir, 'round_0', 'seg_train')
    if out['seg_val_miou'] is not None and osp.isdir(seg_train):
        ious = class_iou(seg_train, data_root)
        out['seg_over_mask'] = out['seg_val_miou'] / out['mask_miou']
        out['min_train_iou'], out['weakest'] = min(
            (v, c) for c, v in ious.items() if c != 'background')
    return out


def mean_std(values: Sequence[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return '-'
    std = np.std(values, ddof=1) if len(values) > 1 else 0.0
    return f'{np.mean(values):.2f} ± {std:.2f}'


def paired(a: Dict[int, dict], b: Dict[int, dict], key_a: str,
           key_b: str) -> str:
    seeds = sorted(s for s in set(a) & set(b)
                   if a[s].get(key_a) is not None
                   and b[s].get(key_b) is not None)
    if not seeds:
        return '-'
    mean, low, high, n = interval([a[s][key_a] - b[s][key_b]
                                   for s in seeds])
    return f'{mean:+.2f} [{low:+.2f}, {high:+.2f}] ({n})'


def weakest_classes(runs: Dict[int, dict]) -> str:
    """Each data seed's weakest class and its train IoU."""
    return ', '.join(f'{r["weakest"]} {r["min_train_iou"]:.1f}'
                     for _, r in sorted(runs.items()) if 'weakest' in r)


def report(args) -> dict:
    runs_dir = osp.join(args.work_dir, 'runs')
    table: Dict[tuple, Dict[int, dict]] = {}
    curves: Dict[tuple, Dict[int, List[float]]] = {}
    for cell in sorted(os.listdir(runs_dir)):
        if not osp.isdir(osp.join(runs_dir, cell)):
            continue
        mode, seed = cell.rsplit('_d', 1)
        data_root = osp.join(args.work_dir, 'data', cell)
        for name in sorted(os.listdir(osp.join(runs_dir, cell))):
            run_dir = osp.join(runs_dir, cell, name)
            figures = read_run(run_dir, data_root)
            if figures is None:
                continue
            table.setdefault((mode, name), {})[int(seed)] = figures
            if name in ('cam', 'seam'):
                curves.setdefault((mode, name), {})[int(seed)] = \
                    threshold_curve(osp.join(run_dir, 'round_0', 'cam'),
                                    data_root)
    lines = [
        '| mode | method | seeds | seed mIoU | refined mIoU | refined − '
        'seed | seg val mIoU | val / pseudo | weakest class train IoU |',
        '|---|---|---:|---:|---:|---:|---:|---:|---|'
    ]
    for (mode, name), runs in sorted(table.items()):
        if name not in METHODS:
            continue
        rows = list(runs.values())
        weakest = weakest_classes(runs)
        refined = ('-' if name == 'cam' else
                   mean_std([r['mask_miou'] for r in rows]))
        gain = ('-' if name == 'cam' else
                paired(runs, runs, 'mask_miou', 'seed_miou'))
        lines.append(
            f'| {mode} | {name} | {len(rows)} | '
            f'{mean_std([r["seed_miou"] for r in rows])} | {refined} | '
            f'{gain} | {mean_std([r.get("seg_val_miou") for r in rows])} | '
            f'{mean_std([r.get("seg_over_mask") for r in rows])} | '
            f'{weakest} |')
    lines += ['', 'Variants against their base run (same cell), paired by '
              'data seed, mean [95 % t interval] (n):', '',
              '| mode | variant | refined mIoU | − base | refined − seed | '
              'seg val mIoU | − base | val / pseudo | weakest class train '
              'IoU |',
              '|---|---|---:|---:|---:|---:|---:|---:|---|']
    for (mode, name), runs in sorted(table.items()):
        if name not in VARIANTS:
            continue
        base = table.get((mode, VARIANTS[name][0]), {})
        cells = []
        for key in ('mask_miou', 'seg_val_miou'):
            values = [r.get(key) for r in runs.values()]
            if all(v is None for v in values):
                cells += ['-', '-']
            else:
                cells += [mean_std(values), paired(runs, base, key, key)]
            cells.append(paired(runs, runs, 'mask_miou', 'seed_miou')
                         if key == 'mask_miou' else mean_std(
                             [r.get('seg_over_mask') for r in runs.values()]))
        cells.append(weakest_classes(runs))
        lines.append(f'| {mode} | {name} | ' + ' | '.join(cells) + ' |')
    lines += ['', 'Further contrasts, paired by data seed:', '',
              '| mode | variant − reference | refined mIoU | seg val mIoU | '
              'lowest class train IoU |', '|---|---|---:|---:|---:|']
    for mode in MODES:
        for name, reference in CONTRASTS:
            runs = table.get((mode, name), {})
            other = table.get((mode, reference), {})
            if runs and other:
                cells = [paired(runs, other, key, key)
                         for key in ('mask_miou', 'seg_val_miou',
                                     'min_train_iou')]
                lines.append(f'| {mode} | {name} − {reference} | '
                             + ' | '.join(cells) + ' |')
    lines += ['', 'Seed mIoU over the background threshold (mean over data '
              'seeds):', '',
              '| mode | method | ' + ' | '.join(f'{t:g}' for t in THRESHOLDS)
              + ' |', '|---|---|' + '---:|' * len(THRESHOLDS)]
    for (mode, name), per_seed in sorted(curves.items()):
        mean = np.mean(list(per_seed.values()), axis=0)
        lines.append(f'| {mode} | {name} | ' + ' | '.join(
            f'{v:.2f}' for v in mean) + ' |')
    all_curves = [c for per_seed in curves.values()
                  for c in per_seed.values()]
    if all_curves:
        mean = np.mean(all_curves, axis=0)
        lines.append('| all | cam, seam | ' + ' | '.join(
            f'**{v:.2f}**' if v == mean.max() else f'{v:.2f}'
            for v in mean) + ' |')
    text = '\n'.join(lines)
    results = dict(
        runs={f'{m}/{n}': r for (m, n), r in table.items()},
        curves={f'{m}/{n}': c for (m, n), c in curves.items()},
        thresholds=list(map(float, THRESHOLDS)))
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(text + '\n')
    print(text)
    return results


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/baselines')
    parser.add_argument('--modes', nargs='+', default=list(MODES),
                        choices=MODES)
    parser.add_argument('--methods', nargs='+', default=list(METHODS),
                        choices=METHODS)
    parser.add_argument('--variants', nargs='*', default=list(VARIANTS),
                        choices=list(VARIANTS))
    parser.add_argument('--data-seeds', type=int, nargs='+',
                        default=[0, 1, 2])
    parser.add_argument('--confounding', type=float, default=0.9)
    parser.add_argument('--cooccurrence', type=float, default=0.9)
    parser.add_argument('--num-train', type=int, default=300)
    parser.add_argument('--jobs', type=int, default=2)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--report-only', action='store_true')
    args = parser.parse_args()
    args.work_dir = osp.abspath(args.work_dir)
    missing = {VARIANTS[v][0] for v in args.variants} - set(args.methods)
    if missing and not args.report_only:
        parser.error(f'variants of {sorted(missing)} need those methods')
    return args


def main() -> None:
    args = parse_args()
    if not args.report_only:
        run_grid(args)
    report(args)


if __name__ == '__main__':
    main()
