"""One class count for every stage: the data's class list."""
import copy
from typing import Optional, Tuple

from mmengine.config import Config, ConfigDict

from mmconta.registry import DATASETS


def dataset_classes(dataset_cfg: dict) -> Tuple[str, ...]:
    """The class list of a dataset config, background first.

    The dataset is built lazily (its files are not listed); a wrapper
    (``PseudoLabelDataset``, mmengine's ``RepeatDataset``) is read through
    its ``dataset``.
    """
    cfg = dataset_cfg
    while isinstance(cfg, dict) and isinstance(cfg.get('dataset'), dict):
        cfg = cfg['dataset']
    cfg = copy.deepcopy(dict(cfg))
    cfg.update(pipeline=[], lazy_init=True)
    return tuple(DATASETS.build(cfg).metainfo['classes'])


def _heads(model: dict):
    """(head config, classes it omits) of each class-scoring head: a CAM
    classifier's ``head`` scores the foreground classes only, a
    segmentor's ``decode_head`` and ``auxiliary_head`` all of them."""
    if isinstance(model.get('head'), dict) and 'num_classes' in model.head:
        yield model.head, 1
    for key in ('decode_head', 'auxiliary_head'):
        heads = model.get(key)
        for head in heads if isinstance(heads, list) else [heads]:
            if isinstance(head, dict) and 'num_classes' in head:
                yield head, 0


def set_num_classes(cfg: Config,
                    num_classes: Optional[int] = None) -> Optional[int]:
    """Give a stage config's model the class count of its data.

    The classifier scores ``num_classes - 1`` foreground classes and the
    segmentor's heads ``num_classes``; a refiner has no class count and is
    left as it is. So the class count is set in one place: the dataset's
    class list, or the top-level ``num_classes`` of a config, which
    :class:`ClassCountCheckHook` then checks against the data before the
    first step.

    Args:
        cfg (Config): A stage config (changed in place).
        num_classes (int, optional): Classes, background included, as mmseg
            counts them. Defaults to None: the class list of the config's
            training dataset (its test dataset where it has none).

    Returns:
        int | None: The count set, or None when the model has no head with
        a class count.
    """
    heads = list(_heads(cfg.get('model') or ConfigDict()))
    if not heads:
        return None
    if num_classes is None:
        loader = cfg.get('train_dataloader') or cfg.get('test_dataloader')
        if not loader:
            return None
        num_classes = len(dataset_classes(loader['dataset']))
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) \
            or num_classes < 2:
        raise ValueError('num_classes counts background and at least one '
                         f'class: an int >= 2, got {num_classes!r}')
    for head, omitted in heads:
        head['num_classes'] = num_classes - omitted
    return num_classes
