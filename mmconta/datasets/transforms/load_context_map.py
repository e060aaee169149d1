"""Loading of context maps, for measuring the context bias of CAMs."""
import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from mmconta.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadContextMap(BaseTransform):
    """Load ``results['context_path']`` into ``results['gt_context']``.

    A context map marks where each class's usual context lies (0 none, k for
    class k's context). It is a segmentation field, so crops and flips
    follow the image; :class:`PackWSSSInputs` packs it as
    ``data_sample.gt_context``.

    A sample without ``context_path`` (data other than the synthetic
    benchmark) passes unchanged.

    Required keys: ``context_path`` (may be absent). Added:
    ``gt_context``; ``seg_fields`` gains it.
    """

    def transform(self, results: dict) -> dict:
        if results.get('context_path') is None:
            return results
        return add_index_map(results, 'gt_context', results['context_path'],
                             'context map')


def add_index_map(results: dict, key: str, path: str, what: str) -> dict:
    """Read a single-channel PNG into ``results[key]`` as a seg field."""
    try:
        with Image.open(path) as img:
            results[key] = np.asarray(img, dtype=np.uint8)
    except OSError as e:
        raise OSError(f'cannot read {what} {path}: {e}') from e
    results.setdefault('seg_fields', []).append(key)
    return results
