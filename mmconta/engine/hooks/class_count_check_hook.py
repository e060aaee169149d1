"""Refuse a model whose class count disagrees with its dataset's."""
from typing import Optional, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmconta.registry import HOOKS


def model_classes(model) -> Optional[Tuple[int, str, int]]:
    """(num_classes, its config key, how many dataset classes it omits).

    A CAM classifier scores the foreground classes (the dataset's classes
    less background); a segmentor's decode head scores all of them. None
    for a model of neither kind.
    """
    model = model.module if is_model_wrapper(model) else model
    head = getattr(model, 'head', None)
    if head is not None and hasattr(head, 'num_classes'):
        return head.num_classes, 'model.head.num_classes', 1
    head = getattr(model, 'decode_head', None)
    if head is not None and hasattr(head, 'num_classes'):
        return head.num_classes, 'model.decode_head.num_classes', 0
    return None


@HOOKS.register_module()
class ClassCountCheckHook(Hook):
    """Check the model's class count against the data before it runs.

    A segmentor with more classes than its dataset trains without a
    complaint and one with fewer fails deep inside the loss; a CAM
    classifier of the wrong size fails on the label vector's shape. The
    tools and the round loop set the model's count from the data
    (:func:`mmconta.utils.set_num_classes`), so a mismatch means a top-level
    ``num_classes`` that disagrees with the data, or splits with different
    class lists: configuration errors, reported here with the keys to fix.
    """
    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        self._check(runner.model, runner.train_dataloader.dataset, 'train')

    def before_test(self, runner) -> None:
        self._check(runner.model, runner.test_dataloader.dataset, 'test')

    @staticmethod
    def _check(model, dataset, split: str) -> None:
        found = model_classes(model)
        classes = getattr(dataset, 'metainfo', {}).get('classes')
        if found is None or classes is None:
            return
        num_classes, key, omitted = found
        if num_classes != len(classes) - omitted:
            raise ValueError(
                f'{key} = {num_classes}, but the {split} dataset '
                f'({type(dataset).__name__}) has {len(classes)} classes '
                f'{list(classes)[:5]}...: set num_classes = {len(classes)} '
                f'(top level: {key} = {len(classes) - omitted}), or give '
                'every split the same class list')
