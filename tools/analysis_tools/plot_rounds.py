"""Plot CONTA round-loop runs: mIoU per round, context leakage, CAMs.

Each WORK_DIR is a run directory of ``tools/train.py`` on a conta config
(``summary.json``, ``round_<t>/cam/DONE``, ``round_<t>/cam/<img_id>.npz``).
Runs are grouped into variants; by default a run laid out as
``conta_study.py`` lays it out, ``runs/<set>_d<seed>/s<seed>_<arm>``, is
labelled ``<set>/<arm>``, a ``round0`` run is skipped (its round 0 is in
every arm's run already) and any other run is a variant of its own, named
by its folder. ``--group-by REGEX`` labels a run by the first capture group
of REGEX searched in its path instead.

Writes to ``--out-dir``:

* ``miou_per_round.png``: seed, pseudo-mask and segmentation val mIoU per
  round, mean ± std over each variant's runs.
* ``leakage_per_class.png``: per class, the share of its seed pixels on its
  own context at round 0 and at the last round, per variant; a second panel
  with the companion share when the runs measured it.
* ``cam_overlays.png``: the same images with their ground truth, the round-0
  CAM and each variant's last-round CAM (the first run of each variant).

Prints a Markdown table of the last round per variant, then one JSON line
with the written files.

Example::

    python tools/analysis_tools/plot_rounds.py \\
        work_dirs/conta_study/runs/confounded_d*/s*_* \\
        --out-dir work_dirs/conta_study/plots --num-images 4
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from mmconta.utils import cam_file_path, load_cam_file  # noqa: E402

# Summary keys of the mIoU figure and the table, with their titles.
MIOU_KEYS = (('seed_miou', 'seed mIoU'), ('mask_miou', 'pseudo-mask mIoU'),
             ('seg_val_miou', 'segmentation val mIoU'))
CONTEXT_PREFIX = 'seed/context_share.'
COMPANION_PREFIX = 'seed/companion_share.'
STUDY_CELL = re.compile(r'(.+)_d\d+')
STUDY_ARM = re.compile(r's\d+_(.+)')
ROUND0_RUN = 'round0'
ROUND_DIR = re.compile(r'round_(\d+)')
MeanStd = Tuple[float, float]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot mIoU per round, context leakage per class and CAM '
        'overlays of CONTA round-loop runs.')
    parser.add_argument('work_dirs', nargs='+', metavar='WORK_DIR',
                        help='run directories (with summary.json)')
    parser.add_argument('--out-dir', required=True,
                        help='folder for the PNG figures')
    parser.add_argument(
        '--group-by', metavar='REGEX',
        help='label a run by the first capture group of REGEX searched in '
        'its path (default: <set>/<arm> of the conta_study layout, else the '
        'folder name)')
    parser.add_argument('--images', nargs='+', metavar='ID',
                        help='image ids of the CAM overlays')
    parser.add_argument('--num-images', type=int, default=4,
                        help='without --images, the first N shared image ids')
    parser.add_argument(
        '--data-root',
        help='dataset root (VOC layout) of the overlays; default: the '
        'data_root of the run\'s dumped round_0/cls config')
    return parser.parse_args()


def variant_label(run_dir: str, group_by: Optional[str]) -> str:
    """The variant a run belongs to.

    Args:
        run_dir (str): The run directory.
        group_by (str, optional): A regex with one capture group, searched
            in the path; None for the default labels.

    Returns:
        str: ``<set>/<arm>`` for ``<set>_d<seed>/s<seed>_<arm>``, the
        capture group with ``group_by``, else the folder name.
    """
    if group_by is not None:
        match = re.search(group_by, run_dir)
        if match is None or not match.groups():
            raise SystemExit(f'--group-by {group_by!r} does not capture a '
                             f'label in {run_dir}')
        return match.group(1)
    name = osp.basename(run_dir)
    cell = STUDY_CELL.fullmatch(osp.basename(osp.dirname(run_dir)))
    arm = STUDY_ARM.fullmatch(name)
    if cell and arm:
        return f'{cell.group(1)}/{arm.group(1)}'
    return name


def group_runs(work_dirs: Sequence[str],
               group_by: Optional[str]) -> 'OrderedDict[str, List[str]]':
    """Variant label -> its run directories, in the order given.

    Args:
        work_dirs (Sequence[str]): Run directories.
        group_by (str, optional): See :func:`variant_label`.

    Returns:
        OrderedDict[str, list[str]]: The variants; ``round0`` runs left out.
    """
    variants = OrderedDict()
    for work_dir in work_dirs:
        run_dir = osp.abspath(work_dir).rstrip('/')
        if not osp.isfile(osp.join(run_dir, 'summary.json')):
            raise SystemExit(f'{work_dir}: no summary.json, not a run '
                             'directory of tools/train.py')
        if osp.basename(run_dir) == ROUND0_RUN:
            continue
        variants.setdefault(variant_label(run_dir, group_by),
                            []).append(run_dir)
    if not variants:
        raise SystemExit('no runs to plot: every WORK_DIR is a round0 run')
    return variants


def load_summary(run_dir: str) -> List[dict]:
    """The rows of a run's ``summary.json``, one per round."""
    with open(osp.join(run_dir, 'summary.json')) as f:
        return json.load(f)


def cam_metrics(run_dir: str, t: int) -> dict:
    """Round ``t``'s CAM-stage metrics; empty when the stage did not run."""
    path = osp.join(run_dir, f'round_{t}', 'cam', 'DONE')
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)['metrics']


def mean_std(values: Sequence[Optional[float]]) -> Optional[MeanStd]:
    """Mean and sample std (0 for one value) of the values that are not
    None; None if none are."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    std = np.std(present, ddof=1) if len(present) > 1 else 0.0
    return float(np.mean(present)), float(std)


def plot_miou(variants: Dict[str, List[str]], out_file: str) -> None:
    """Seed, pseudo-mask and segmentation mIoU per round, one line per
    variant, error bars = std over its runs.

    Args:
        variants (dict[str, list[str]]): Variant label -> run directories.
        out_file (str): The PNG to write.
    """
    fig, axes = plt.subplots(1, len(MIOU_KEYS), figsize=(15, 4.5))
    # Variants share round 0; a small shift keeps their error bars apart.
    shifts = np.linspace(-0.08, 0.08, len(variants)) if len(variants) > 1 \
        else [0.0]
    rounds_seen = set()
    for (label, runs), shift in zip(variants.items(), shifts):
        summaries = [load_summary(r) for r in runs]
        num_rounds = max(len(s) for s in summaries)
        for ax, (key, _) in zip(axes, MIOU_KEYS):
            points = []
            for t in range(num_rounds):
                stats = mean_std(
                    [s[t].get(key) for s in summaries if t < len(s)])
                if stats is not None:
                    points.append((t, *stats))
            if points:
                rounds, means, stds = zip(*points)
                rounds_seen.update(rounds)
                ax.errorbar(np.array(rounds) + shift, means, yerr=stds,
                            marker='o', capsize=4, label=label)
    for ax, (_, title) in zip(axes, MIOU_KEYS):
        ax.set_title(title)
        ax.set_xlabel('round')
        ax.set_ylabel('mIoU (%)')
        ax.set_xticks(sorted(rounds_seen))
        ax.grid(alpha=0.3)
        if ax.has_data():
            ax.legend(fontsize=8)
    fig.suptitle('mIoU per round (mean ± std over runs)')
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)


def shares_per_class(variants: Dict[str, List[str]],
                     prefix: str) -> Tuple[List[str], dict]:
    """Per-class shares at round 0 and at each run's last round.

    Args:
        variants (dict[str, list[str]]): Variant label -> run directories.
        prefix (str): Metric key prefix, e.g. ``'seed/context_share.'``.

    Returns:
        tuple[list[str], dict]: The classes (first-seen order) and
        ``{(label, 'first' | 'last'): {class: [value per run]}}``.
    """
    classes: List[str] = []
    values = {}
    for label, runs in variants.items():
        for run_dir in runs:
            last = len(load_summary(run_dir)) - 1
            for when, t in (('first', 0), ('last', last)):
                for key, value in cam_metrics(run_dir, t).items():
                    if not key.startswith(prefix):
                        continue
                    name = key[len(prefix):]
                    if name not in classes:
                        classes.append(name)
                    values.setdefault((label, when), {}).setdefault(
                        name, []).append(value)
    return classes, values


def plot_leakage(variants: Dict[str, List[str]], out_file: str) -> None:
    """Context share (and companion share, when measured) per class, round
    0 against the last round, one bar pair per variant.

    Args:
        variants (dict[str, list[str]]): Variant label -> run directories.
        out_file (str): The PNG to write.
    """
    panels = [('context share: seed pixels of a class on its own context',
               shares_per_class(variants, CONTEXT_PREFIX))]
    companion = shares_per_class(variants, COMPANION_PREFIX)
    if companion[0]:
        panels.append(('companion share: seed pixels of a class on its '
                       'companion class', companion))
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(max(8, 2.2 * len(panels[0][1][0]) + 3),
                                 4.5 * len(panels)), squeeze=False)
    colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
    width = 0.8 / (2 * len(variants))
    for ax, (title, (classes, values)) in zip(axes[:, 0], panels):
        x = np.arange(len(classes))
        for v, label in enumerate(variants):
            colour = colours[v % len(colours)]
            # Round 0 light and hatched, the last round solid, side by side.
            for w, (when, style) in enumerate(
                (('first', dict(alpha=0.45, hatch='//')),
                 ('last', dict(alpha=1.0)))):
                per_class = values.get((label, when), {})
                stats = [mean_std(per_class.get(c, [])) for c in classes]
                ax.bar(x + (2 * v + w + 0.5) * width - 0.4,
                       [s[0] if s else np.nan for s in stats], width,
                       yerr=[s[1] if s else np.nan for s in stats],
                       capsize=3, color=colour, edgecolor='black',
                       linewidth=0.5,
                       label=f'{label}, {"round 0" if w == 0 else "last"}',
                       **style)
        ax.set_xticks(x)
        ax.set_xticklabels(classes)
        ax.set_xlabel('class')
        ax.set_ylabel('share of its seed pixels (%)')
        ax.set_title(title)
        ax.grid(axis='y', alpha=0.3)
        ax.legend(fontsize=8, ncol=2)
    fig.suptitle('Leakage per class, round 0 vs last round '
                 '(mean ± std over runs)')
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)


def last_cam_round(run_dir: str) -> int:
    """The last round of a run that wrote CAM files."""
    rounds = []
    for done in glob.glob(osp.join(run_dir, 'round_*', 'cam', 'DONE')):
        match = ROUND_DIR.fullmatch(osp.basename(osp.dirname(
            osp.dirname(done))))
        if match:
            rounds.append(int(match.group(1)))
    if not rounds:
        raise SystemExit(f'{run_dir}: no round_<t>/cam/DONE, no CAMs to show')
    return max(rounds)


def cam_ids(cam_dir: str) -> set:
    """The image ids with a CAM file in ``cam_dir``."""
    return {
        osp.splitext(osp.basename(p))[0]
        for p in glob.glob(osp.join(cam_dir, '*.npz'))
    }


def run_data_root(run_dir: str) -> str:
    """The data root in a run's dumped round-0 classifier config."""
    configs = sorted(glob.glob(osp.join(run_dir, 'round_0', 'cls', '*.py')))
    for config in configs:
        with open(config) as f:
            # The dump keeps top-level names; --data-root moves this one too.
            match = re.search(r'^data_root\s*=\s*([\'"])(.+?)\1', f.read(),
                              re.MULTILINE)
        if match:
            return match.group(2)
    raise SystemExit(f'{run_dir}: no data_root in round_0/cls/*.py; pass '
                     '--data-root')


def load_image(data_root: str, img_id: str) -> np.ndarray:
    """The RGB image ``JPEGImages/<img_id>.*`` as (H, W, 3) uint8."""
    paths = sorted(glob.glob(osp.join(data_root, 'JPEGImages', img_id + '.*')))
    if not paths:
        raise SystemExit(f'no image {img_id} in {data_root}/JPEGImages')
    return np.asarray(Image.open(paths[0]).convert('RGB'))


def load_cam(cam_dir: str, img_id: str, size: Tuple[int, int]) -> Tuple[
        np.ndarray, List[str]]:
    """The max over an image's classes of its full-resolution CAM.

    Args:
        cam_dir (str): A round's ``cam`` folder.
        img_id (str): The image id.
        size (tuple[int, int]): (H, W) of the image.

    Returns:
        tuple[np.ndarray, list[str]]: The (H, W) CAM in [0, 1] and the names
        of the image's classes.
    """
    cam_file = load_cam_file(cam_file_path(cam_dir, img_id),
                             require_high_res=True)
    high_res, keys, classes = cam_file.high_res, cam_file.keys, \
        cam_file.classes
    cam = high_res.max(0) if len(high_res) else np.zeros(size, np.float32)
    if cam.shape != size:
        cam = np.asarray(Image.fromarray(cam).resize(size[::-1],
                                                     Image.BILINEAR))
    # keys index the foreground classes; classes[0] is the background.
    return cam, [str(classes[k + 1]) for k in keys]


def plot_cams(variants: Dict[str, List[str]], out_file: str,
              images: Optional[Sequence[str]], num_images: int,
              data_root: Optional[str]) -> None:
    """Images with ground truth, the round-0 CAM and each variant's
    last-round CAM, from the first run of each variant.

    Args:
        variants (dict[str, list[str]]): Variant label -> run directories.
        out_file (str): The PNG to write.
        images (Sequence[str], optional): Image ids; None for the first
            ``num_images`` ids with CAMs in every shown round.
        num_images (int): How many ids to take without ``images``.
        data_root (str, optional): The dataset root; None to read it from
            the first run's config.
    """
    firsts = {label: runs[0] for label, runs in variants.items()}
    # One round-0 row per distinct round 0: the study's arms share one.
    round0_users = OrderedDict()
    for label, run_dir in firsts.items():
        cam_dir = osp.realpath(osp.join(run_dir, 'round_0', 'cam'))
        round0_users.setdefault(cam_dir, []).append(label)
    rows = [(cam_dir, 'round 0\n' +
             ('(shared)' if len(users) > 1 else users[0]))
            for cam_dir, users in round0_users.items()]
    for label, run_dir in firsts.items():
        t = last_cam_round(run_dir)
        if t > 0:
            rows.append((osp.join(run_dir, f'round_{t}', 'cam'),
                         f'round {t}\n{label}'))
    shared = set.intersection(*(cam_ids(d) for d, _ in rows))
    if images:
        missing = [i for i in images if i not in shared]
        if missing:
            raise SystemExit(f'--images {missing}: no CAM file in every '
                             'shown round')
        ids = list(images)
    else:
        ids = sorted(shared)[:num_images]
    if not ids:
        raise SystemExit('no image has a CAM file in every shown round')
    data_root = data_root or run_data_root(next(iter(firsts.values())))

    fig, axes = plt.subplots(1 + len(rows), len(ids),
                             figsize=(2.8 * len(ids) + 1,
                                      2.8 * (1 + len(rows))), squeeze=False)
    for col, img_id in enumerate(ids):
        img = load_image(data_root, img_id)
        gt = np.asarray(
            Image.open(osp.join(data_root, 'SegmentationClass',
                                img_id + '.png')))
        ax = axes[0, col]
        ax.imshow(img)
        # Background and ignore stay see-through; classes get tab10 colours.
        ax.imshow(np.ma.masked_where((gt == 0) | (gt == 255), gt % 10),
                  cmap='tab10', vmin=0, vmax=9, alpha=0.5,
                  interpolation='nearest')
        values = np.unique(gt)
        if len(values) > 1:  # boundaries between neighbouring ids
            ax.contour(gt, levels=(values[:-1] + values[1:]) / 2,
                       colors='white', linewidths=0.8)
        ax.set_title(img_id, fontsize=9)
        for row, (cam_dir, _) in enumerate(rows, start=1):
            cam, names = load_cam(cam_dir, img_id, img.shape[:2])
            ax = axes[row, col]
            ax.imshow(img)
            ax.imshow(cam, cmap='jet', alpha=0.5, vmin=0, vmax=1)
            ax.set_title(', '.join(names), fontsize=8)
    for row, label in enumerate(['image +\nground truth'] +
                                [label for _, label in rows]):
        axes[row, 0].set_ylabel(label, fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle('CAMs (max over the image\'s classes), first run of each '
                 'variant')
    fig.tight_layout(rect=(0, 0, 1, 0.98))  # room for the title
    fig.savefig(out_file, dpi=100)
    plt.close(fig)


def last_round_table(variants: Dict[str, List[str]]) -> str:
    """A Markdown table of each variant's last round, mean ± std over its
    runs; ``(n=k)`` when only k runs have the value, ``-`` when none has.

    Args:
        variants (dict[str, list[str]]): Variant label -> run directories.

    Returns:
        str: The table.
    """
    lines = ['| variant | rounds | runs | ' +
             ' | '.join(title for _, title in MIOU_KEYS) + ' |',
             '|---|---:|---:|' + '---:|' * len(MIOU_KEYS)]
    for label, runs in variants.items():
        lasts = [load_summary(r)[-1] for r in runs]
        cells = []
        for key, _ in MIOU_KEYS:
            present = [row[key] for row in lasts if row.get(key) is not None]
            if not present:
                cells.append('-')
                continue
            mean, std = mean_std(present)
            cell = f'{mean:.2f} ± {std:.2f}'
            if len(present) < len(lasts):
                cell += f' (n={len(present)})'
            cells.append(cell)
        rounds = max(row['round'] for row in lasts) + 1
        lines.append(f'| {label} | {rounds} | {len(runs)} | ' +
                     ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    variants = group_runs(args.work_dirs, args.group_by)
    os.makedirs(args.out_dir, exist_ok=True)
    files = [osp.join(args.out_dir, name) for name in (
        'miou_per_round.png', 'leakage_per_class.png', 'cam_overlays.png')]
    plot_miou(variants, files[0])
    plot_leakage(variants, files[1])
    plot_cams(variants, files[2], args.images, args.num_images,
              args.data_root)
    print(last_round_table(variants))
    print(json.dumps({'files': files}))


if __name__ == '__main__':
    main()
