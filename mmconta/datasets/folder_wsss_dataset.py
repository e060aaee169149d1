"""A VOC-layout folder with its own class list, for users' data."""
import os.path as osp
from typing import Optional

from mmconta.registry import DATASETS
from mmconta.utils import voc_palette
from .base_wsss_dataset import BaseWSSSDataset


def read_class_file(path: str) -> tuple:
    """Read a class list, one name per line, background first."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'class list file not found: {path}')
    with open(path) as f:
        names = tuple(line.strip() for line in f if line.strip())
    if len(names) < 2:
        raise ValueError(
            f'class list {path} must name background and at least one '
            f'class, got {list(names)}')
    return names


def metainfo_with_classes(metainfo: Optional[dict], classes: tuple,
                          source: str) -> dict:
    """``metainfo`` with a dataset's class list (and VOC's palette unless
    it has one); ``classes`` it already holds must be the same."""
    metainfo = dict(metainfo or {})
    if 'classes' in metainfo and tuple(metainfo['classes']) != classes:
        raise ValueError(
            f'metainfo classes {list(metainfo["classes"])} disagree with '
            f'{source}: {list(classes)}')
    metainfo.update(classes=classes)
    metainfo.setdefault('palette', voc_palette(len(classes)))
    return metainfo


@DATASETS.register_module()
class FolderWSSSDataset(BaseWSSSDataset):
    """Any dataset in PASCAL VOC's folder layout, with its class list.

    ``data_root`` holds ``JPEGImages/``, ``SegmentationClass/``,
    ``ImageSets/Segmentation/<split>.txt`` and a class list file (one name a
    line, background first). The synthetic benchmark of
    ``tools/dataset_converters/make_confounded_shapes.py`` is written so.

    Args:
        class_file (str): Class list, relative to ``data_root``. Defaults to
            ``class_names.txt``.
        metainfo (dict, optional): Extra meta information; its ``classes``,
            if given, must equal the file's.
        **kwargs: :class:`BaseWSSSDataset` arguments.
    """

    def __init__(self,
                 class_file: str = 'class_names.txt',
                 ann_file: str = 'ImageSets/Segmentation/train.txt',
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 data_prefix: dict = dict(
                     img_path='JPEGImages', seg_map_path='SegmentationClass'),
                 data_root: Optional[str] = None,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if data_root is not None and not osp.isabs(class_file):
            class_file = osp.join(data_root, class_file)
        classes = read_class_file(class_file)
        self.class_file = class_file
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=data_prefix,
            data_root=data_root,
            metainfo=metainfo_with_classes(metainfo, classes, class_file),
            **kwargs)
