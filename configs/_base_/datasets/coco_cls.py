# MS-COCO 2014 (80 classes) for the CAM classifier, in the layout of IRN's
# COCO ports (masks as PNG ids 0-80), with VOC's pipelines; seeds are
# scored on the train split.
_base_ = './voc12aug_cls.py'
dataset_type = 'COCOWSSSDataset'
data_root = 'data/coco2014'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/train.txt',
        data_prefix=dict(img_path='train2014', seg_map_path='mask/train2014')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/val.txt',
        data_prefix=dict(img_path='val2014', seg_map_path='mask/val2014')))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/train.txt',
        data_prefix=dict(img_path='train2014', seg_map_path='mask/train2014')))
