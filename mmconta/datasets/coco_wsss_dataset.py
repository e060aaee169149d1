"""MS-COCO 2014 in the layout WSSS works use, with image-level labels."""
from mmconta.registry import DATASETS
from mmconta.utils import voc_palette
from .base_wsss_dataset import BaseWSSSDataset

COCO_CLASSES = (
    'background', 'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus',
    'train', 'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign',
    'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
    'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag',
    'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
    'baseball bat', 'baseball glove', 'skateboard', 'surfboard',
    'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon',
    'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot',
    'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant',
    'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote',
    'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink',
    'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear',
    'hair drier', 'toothbrush')


@DATASETS.register_module()
class COCOWSSSDataset(BaseWSSSDataset):
    """MS-COCO 2014 for WSSS: 80 object classes plus background.

    The layout of IRN's and CONTA's COCO ports: images in ``train2014/`` and
    ``val2014/``, PNG class-index masks (0 background, 1..80 in the order of
    the 80 COCO categories, 255 ignore) in ``mask/train2014/`` and
    ``mask/val2014/``, and split files of image names. Image-level labels
    come from the masks or a ``cls_labels.npy``.

    Args:
        ann_file (str): Split file. Defaults to ``ImageSets/train.txt``.
        data_prefix (dict): Image and mask folders. Defaults to the train
            split's.
        **kwargs: :class:`BaseWSSSDataset` arguments.
    """
    METAINFO = dict(classes=COCO_CLASSES, palette=voc_palette(81))

    def __init__(self,
                 ann_file: str = 'ImageSets/train.txt',
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 data_prefix: dict = dict(
                     img_path='train2014', seg_map_path='mask/train2014'),
                 **kwargs) -> None:
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=data_prefix,
            **kwargs)
