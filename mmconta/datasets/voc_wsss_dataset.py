"""PASCAL VOC 2012 with the SBD augmented set, with image-level labels."""
from mmseg.datasets import PascalVOCDataset

from mmconta.registry import DATASETS
from .base_wsss_dataset import BaseWSSSDataset


@DATASETS.register_module()
class VOCWSSSDataset(BaseWSSSDataset):
    """PASCAL VOC 2012 (+SBD) for WSSS: 20 classes plus background.

    The layout is VOCdevkit/VOC2012 with SBD's masks converted into
    ``SegmentationClassAug`` (mmseg's ``tools/dataset_converters/voc_aug.py``
    makes it): splits ``train`` (1,464), ``train_aug`` (10,582) and ``val``
    (1,449) under ``ImageSets/Segmentation``. Image-level labels come from
    the masks, or from IRN's ``cls_labels.npy`` via ``cls_label_file``.

    Args:
        ann_file (str): Split file. Defaults to the train_aug split.
        data_prefix (dict): Image and mask folders. Defaults to
            ``JPEGImages`` and ``SegmentationClassAug``.
        **kwargs: :class:`BaseWSSSDataset` arguments.
    """
    METAINFO = PascalVOCDataset.METAINFO

    def __init__(self,
                 ann_file: str = 'ImageSets/Segmentation/train_aug.txt',
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 data_prefix: dict = dict(
                     img_path='JPEGImages',
                     seg_map_path='SegmentationClassAug'),
                 **kwargs) -> None:
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=data_prefix,
            **kwargs)
