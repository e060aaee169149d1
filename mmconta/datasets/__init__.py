from .base_wsss_dataset import (BaseWSSSDataset, derangement,
                                read_split_file)
from .coco_wsss_dataset import COCOWSSSDataset
from .flatten_pairs_collate import flatten_pairs_collate
from .folder_wsss_dataset import FolderWSSSDataset
from .image_label_file import ImageLabels, read_image_label_file
from .label_file_wsss_dataset import LabelFileWSSSDataset
from .pseudo_label_dataset import PseudoLabelDataset
from .transforms import (LoadContextMap, LoadOptionalAnnotations,
                         LoadPreviousMask, PackWSSSInputs, PasteInstances,
                         RecomputeImageLabels)
from .voc_wsss_dataset import VOCWSSSDataset

__all__ = [
    'BaseWSSSDataset', 'COCOWSSSDataset', 'FolderWSSSDataset',
    'ImageLabels', 'LabelFileWSSSDataset', 'LoadContextMap',
    'LoadOptionalAnnotations', 'LoadPreviousMask', 'PackWSSSInputs',
    'PasteInstances', 'PseudoLabelDataset', 'RecomputeImageLabels',
    'VOCWSSSDataset', 'derangement', 'flatten_pairs_collate',
    'read_image_label_file', 'read_split_file'
]
