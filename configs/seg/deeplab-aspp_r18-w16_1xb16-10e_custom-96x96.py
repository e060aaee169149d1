# The segmentation stage of deeplab-aspp_r18-w16_1xb16-10e_shapes-96x96.py on
# your own data (docs/user_guides/custom_data.md): trained on a round's
# pseudo-masks of the training images, validated on the val images' masks.
# Without any mask, set val_dataloader = val_cfg = val_evaluator = None.
#   python tools/train.py \
#       configs/seg/deeplab-aspp_r18-w16_1xb16-10e_custom-96x96.py \
#       --data-root data/my_data \
#       --cfg-options train_dataloader.dataset.pseudo_dir=DIR
_base_ = ['./deeplab-aspp_r18-w16_1xb16-10e_shapes-96x96.py']
data_root = 'data/my_data'
train_split = dict(
    type='LabelFileWSSSDataset',
    data_root=data_root,
    ann_file='train.csv',
    class_file='class_names.txt',
    data_prefix=dict(img_path='images'))
val_split = dict(
    train_split,
    ann_file='val.csv',
    data_prefix=dict(img_path='images', seg_map_path='masks'))
train_dataloader = dict(dataset=dict(dataset=train_split))
val_dataloader = dict(dataset=val_split)
test_dataloader = dict(dataset=val_split)
