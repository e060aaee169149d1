"""Images with image-level labels only: what weak supervision starts from."""
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
from mmengine.logging import print_log

from mmconta.registry import DATASETS
from .base_wsss_dataset import IMAGE_SUFFIXES, BaseWSSSDataset
from .folder_wsss_dataset import metainfo_with_classes, read_class_file
from .image_label_file import ImageLabels, read_image_label_file

UNLABELLED = ('skip', 'background')


@DATASETS.register_module()
class LabelFileWSSSDataset(BaseWSSSDataset):
    """Images and a label file (CSV or JSON) of their image-level labels.

    The layout ``tools/dataset_converters/`` writes (see
    ``docs/user_guides/custom_data.md``)::

        data_root/
            class_names.txt   one name a line, background first
            images/           every image
            masks/            optional: masks of the val/test images
            train.csv         the training images' labels (or .json)
            val.csv           the validation images' labels

    ``ann_file`` is the label file (see
    :func:`~mmconta.datasets.image_label_file.read_image_label_file` for the
    formats): it lists the split's images and gives their labels, so a
    training split needs no mask. With ``data_prefix['seg_map_path']`` the
    split's masks are read too, for evaluation only (a validation split);
    the labels still come from the file.

    Errors name the label file and line: a class not in the class list, an
    image listed twice or missing from the image folder, a file in neither
    format.

    Args:
        ann_file (str): The label file, relative to ``data_root``.
        class_file (str, optional): Class list, relative to ``data_root``.
            Defaults to None: background, then the label file's class names
            sorted (give every split of a dataset the same class file).
        unlabelled (str): An image whose labels are empty: ``'skip'`` it
            (counted in the log) or keep it as ``'background'`` only.
            Defaults to 'skip'.
        img_suffix (str): Suffix of an image named without one; ``'auto'``
            tries ``.jpg``, ``.jpeg``, ``.png`` and ``.bmp`` in turn.
            Defaults to 'auto'.
        data_prefix (dict): ``img_path`` (image folder) and optionally
            ``seg_map_path`` (mask folder). Defaults to
            ``dict(img_path='images')``.
        metainfo (dict, optional): Extra meta information; its ``classes``,
            if given, must equal the class list.
        **kwargs: :class:`BaseWSSSDataset` arguments.
    """

    def __init__(self,
                 ann_file: str = 'train.csv',
                 class_file: Optional[str] = None,
                 unlabelled: str = 'skip',
                 img_suffix: str = 'auto',
                 seg_map_suffix: str = '.png',
                 data_prefix: dict = dict(img_path='images'),
                 data_root: Optional[str] = None,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if unlabelled not in UNLABELLED:
            raise ValueError(f'unlabelled must be one of {UNLABELLED}, got '
                             f'{unlabelled!r}')
        if kwargs.get('cls_label_file'):
            raise ValueError('LabelFileWSSSDataset reads its labels from '
                             'ann_file; cls_label_file is for the VOC layout')
        label_file = ann_file
        if data_root is not None and not osp.isabs(label_file):
            label_file = osp.join(data_root, label_file)
        self.label_file = label_file
        self.entries = read_image_label_file(label_file)
        if class_file is not None:
            if data_root is not None and not osp.isabs(class_file):
                class_file = osp.join(data_root, class_file)
            classes = read_class_file(class_file)
            source = class_file
        else:
            if (data_prefix or {}).get('seg_map_path'):
                raise ValueError(
                    f'{label_file}: a split with masks needs class_file, '
                    'the list their ids index')
            classes = ('background', ) + tuple(sorted(
                {name for entry in self.entries for name in entry.classes}))
            source = f'the class names of {label_file}'
            if len(classes) < 2:
                raise ValueError(f'{label_file} names no class; give '
                                 'class_file')
        self.class_file = class_file
        self._check_classes(classes, source)
        self.unlabelled = unlabelled
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=data_prefix,
            data_root=data_root,
            metainfo=metainfo_with_classes(metainfo, classes, source),
            **kwargs)

    def _check_classes(self, classes: tuple, source: str) -> None:
        known = set(classes[1:])
        for entry in self.entries:
            for name in entry.classes:
                if name not in known:
                    raise ValueError(
                        f'{self.label_file}:{entry.line}: image '
                        f'{entry.image!r} is labelled {name!r}, which is not '
                        f'a foreground class of {source}: '
                        f'{list(classes[1:])}')

    def _find_img_suffix(self, img_dir: str) -> str:
        """Suffixes are found per image (:meth:`_find_image`)."""
        return 'auto'

    def _find_image(self, img_dir: str, entry: ImageLabels) -> str:
        """The image file of an entry, or an error naming its line."""
        given = osp.splitext(entry.image)[1]
        suffixes = ([given] if given else
                    IMAGE_SUFFIXES if self.img_suffix == 'auto' else
                    [self.img_suffix])
        for suffix in suffixes:
            path = osp.join(img_dir, entry.img_id + suffix)
            if osp.isfile(path):
                return path
        raise FileNotFoundError(
            f'{self.label_file}:{entry.line}: image {entry.image!r} not '
            f'found in {img_dir} (tried suffixes {list(suffixes)})')

    def _list_names(self, img_dir: str) -> List[str]:
        unlabelled = [e for e in self.entries if not e.classes]
        if unlabelled:
            action = ('skipped' if self.unlabelled == 'skip' else
                      'kept as background only')
            print_log(
                f'{type(self).__name__}: {len(unlabelled)} of '
                f'{len(self.entries)} images in {self.label_file} have no '
                f'label ({action}; unlabelled=...), e.g. lines '
                f'{[e.line for e in unlabelled[:5]]}', logger='current')
        kept = [e for e in self.entries
                if e.classes or self.unlabelled == 'background']
        if not kept:
            raise ValueError(f'{self.label_file}: no labelled image (set '
                             "unlabelled='background' to keep them)")
        self._img_paths = {e.img_id: self._find_image(img_dir, e)
                           for e in kept}
        return [e.img_id for e in kept]

    def _image_file(self, img_dir: str, name: str) -> str:
        return self._img_paths[name]

    def _image_labels(self, data_list: List[dict]) -> Dict[str, np.ndarray]:
        index = {name: k for k, name in enumerate(
            self.metainfo['classes'][1:])}
        labels = {}
        for entry in self.entries:
            vector = np.zeros(self.num_fg_classes, dtype=np.float32)
            vector[[index[name] for name in entry.classes]] = 1
            labels[entry.img_id] = vector
        return labels
