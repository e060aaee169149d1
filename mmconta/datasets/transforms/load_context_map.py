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

    Required keys: ``context_path``. Added: ``gt_context``; ``seg_fields``
    gains it.
    """

    def transform(self, results: dict) -> dict:
        path = results['context_path']
        try:
            with Image.open(path) as img:
                context = np.asarray(img, dtype=np.uint8)
        except OSError as e:
            raise OSError(f'cannot read context map {path}: {e}') from e
        results['gt_context'] = context
        results.setdefault('seg_fields', []).append('gt_context')
        return results
