# The CAM network of cam_r18-w16_1xb16-12e_shapes-96x96.py on your own data:
# images with image-level labels only, in LabelFileWSSSDataset's layout
# (docs/user_guides/custom_data.md). The class count comes from
# class_names.txt.
#   python tools/train.py configs/cam/cam_r18-w16_1xb16-12e_custom-96x96.py \
#       --data-root data/my_data
_base_ = ['./cam_r18-w16_1xb16-12e_shapes-96x96.py']
data_root = 'data/my_data'
# The training images: labels from train.csv, no mask.
train_split = dict(
    type='LabelFileWSSSDataset',
    data_root=data_root,
    ann_file='train.csv',
    class_file='class_names.txt',
    data_prefix=dict(img_path='images'))
train_dataloader = dict(dataset=train_split)
# mAP of the image labels of val.csv.
val_dataloader = dict(dataset=dict(train_split, ann_file='val.csv'))
# CAMs of every training image; no ground truth, so the seed and mask
# metrics report none (the synthetic set's masks and context maps go).
test_dataloader = dict(
    dataset=dict(train_split, _delete_=True,
                 pipeline={{_base_.cam_pipeline}}))
test_evaluator = [
    dict(type='SeedMetric', bg_thr=0.5),
    dict(type='PseudoMaskMetric')
]
