from .base_wsss_dataset import (BaseWSSSDataset, derangement,
                                read_split_file)
from .coco_wsss_dataset import COCOWSSSDataset
from .folder_wsss_dataset import FolderWSSSDataset
from .pseudo_label_dataset import PseudoLabelDataset
from .transforms import (LoadContextMap, LoadPreviousMask, PackWSSSInputs,
                         RecomputeImageLabels)
from .voc_wsss_dataset import VOCWSSSDataset

__all__ = [
    'BaseWSSSDataset', 'COCOWSSSDataset', 'FolderWSSSDataset',
    'LoadContextMap', 'LoadPreviousMask', 'PackWSSSInputs',
    'PseudoLabelDataset', 'RecomputeImageLabels', 'VOCWSSSDataset',
    'derangement', 'read_split_file'
]
