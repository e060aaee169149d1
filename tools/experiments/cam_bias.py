"""How much does context confound CAM seeds? Confounded set vs control.

For each generator seed and each ``--confounding`` value, this generates the
synthetic benchmark, trains
``configs/cam/cam_r18-w16_1xb16-12e_shapes-96x96.py``, makes CAMs on the
train split and records seed mIoU (fixed threshold and best of the sweep),
the share of seed pixels on the class's own context, and a trivial baseline
(every pixel of an image labelled with its first image-level class). Prints
a Markdown table of mean ± std over seeds and writes ``results.json``.

Example::

    python tools/experiments/cam_bias.py --seeds 0 1 2 --confounding 0.9 0
"""
import argparse
import json
import os.path as osp
import sys
from typing import Dict

import numpy as np
from mmengine.registry import init_default_scope

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from common import REPO, make_shapes, mean_std_table, run  # noqa: E402

CONFIG = osp.join(REPO, 'configs/cam/cam_r18-w16_1xb16-12e_shapes-96x96.py')
METRICS = ('seed/mIoU', 'seed/best_mIoU', 'seed/best_thr',
           'seed/context_share', 'seed/any_context_share', 'trivial/mIoU')


def trivial_seed_miou(data_root: str) -> float:
    """Seed mIoU of labelling every pixel with the image's first class."""
    from mmconta.evaluation import SeedMetric
    from mmconta.registry import DATASETS
    init_default_scope('mmconta')
    dataset = DATASETS.build(
        dict(type='FolderWSSSDataset', data_root=data_root,
             img_suffix='.png', pipeline=[dict(type='LoadAnnotations')]))
    metric = SeedMetric()
    metric.dataset_meta = dataset.metainfo
    for index in range(len(dataset)):
        results = dataset[index]
        keys = np.flatnonzero(results['img_labels'])
        mask = results['gt_seg_map']
        metric.process(None, [dict(
            cams=np.ones((len(keys), *mask.shape), np.float32),
            cam_keys=keys, gt_sem_seg=dict(data=mask[None]))])
    return metric.evaluate(len(dataset))['seed/mIoU']


def one_run(work_dir: str, seed: int, confounding: float,
            num_train: int) -> Dict[str, float]:
    name = f'conf{confounding:g}_seed{seed}'
    data_root = make_shapes(work_dir, seed, confounding, num_train)
    run_dir = osp.join(work_dir, name)
    common = ['--work-dir', run_dir, '--data-root', data_root]
    # Each step is skipped when its output exists; CAM files already made
    # are loaded, not recomputed, so re-scoring a finished run is cheap.
    if not osp.isfile(osp.join(run_dir, 'last_checkpoint')):
        run(['tools/train.py', CONFIG, *common, '--cfg-options',
             f'randomness.seed={seed}'])
    checkpoint = open(osp.join(run_dir, 'last_checkpoint')).read().strip()
    run(['tools/test.py', CONFIG, checkpoint, *common])
    metrics = json.load(open(osp.join(run_dir, 'test_metrics.json')))
    metrics['trivial/mIoU'] = trivial_seed_miou(data_root)
    print(f'{name}: ' + ', '.join(f'{k} {metrics[k]:.2f}' for k in METRICS),
          flush=True)
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/cam_bias')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--confounding', type=float, nargs='+', default=[0.9, 0.0])
    parser.add_argument('--num-train', type=int, default=300)
    args = parser.parse_args()
    results = {
        str(p): [one_run(args.work_dir, s, p, args.num_train)
                 for s in args.seeds]
        for p in args.confounding
    }
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
    print(f'\n{len(args.seeds)} seeds {args.seeds}, mean ± std\n')
    print(mean_std_table('confounding P', results, METRICS))


if __name__ == '__main__':
    main()
