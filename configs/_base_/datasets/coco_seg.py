# Segmentation on MS-COCO 2014: train on a round's pseudo-masks of train,
# validate on val's ground truth (masks as PNG ids 0-80).
_base_ = './voc12aug_seg.py'
data_root = 'data/coco2014'
source = dict(
    type='COCOWSSSDataset',
    data_root=data_root,
    ann_file='ImageSets/train.txt',
    data_prefix=dict(img_path='train2014', seg_map_path='mask/train2014'))
train_dataloader = dict(dataset=dict(dataset=source))
val_dataloader = dict(
    dataset=dict(
        source,
        ann_file='ImageSets/val.txt',
        data_prefix=dict(img_path='val2014', seg_map_path='mask/val2014')))
test_dataloader = val_dataloader
