"""Write a synthetic, deliberately confounded WSSS benchmark (VOC layout).

The generator is :mod:`mmconta.datasets.synthetic.confounded_shapes` (its
docstring describes the generative process and the files); this is its
command line::

    python tools/dataset_converters/make_confounded_shapes.py OUT \\
        [--num-train 300] [--num-val 100] [--seed 0] [--confounding 0.9] \\
        [--cooccurrence 0] [--difficulty {easy,hard}] [--size 112] \\
        [--workers 0] [--overwrite]

With ``--layout voc`` or ``--layout coco`` it writes a VOC- or COCO-scale
stand-in instead, in the exact layout the ``*_voc.py`` / ``*_coco.py``
configs read (:mod:`mmconta.datasets.synthetic.standin`)::

    python tools/dataset_converters/make_confounded_shapes.py OUT \\
        --layout {voc,coco} [--min-side 300] [--max-side 500] \\
        [--difficulty hard] [--num-train 300] [--num-val 100] [--seed 0] \\
        [--confounding 0.9] [--cooccurrence 0] [--workers 0] [--overwrite]
"""
from mmconta.datasets.synthetic.standin import main

if __name__ == '__main__':
    main()
