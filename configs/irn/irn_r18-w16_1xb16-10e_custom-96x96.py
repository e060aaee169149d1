# IRN's boundary network of irn_r18-w16_1xb16-10e_shapes-96x96.py on your
# own data (docs/user_guides/custom_data.md): trained on the CAM stage's
# labels of the training images, then walking their CAMs.
#   python tools/train.py configs/irn/irn_r18-w16_1xb16-10e_custom-96x96.py \
#       --data-root data/my_data \
#       --cfg-options train_dataloader.dataset.pseudo_dir=LABELS \
#       load_from=CLS_CHECKPOINT
_base_ = ['./irn_r18-w16_1xb16-10e_shapes-96x96.py']
data_root = 'data/my_data'
train_split = dict(
    type='LabelFileWSSSDataset',
    data_root=data_root,
    ann_file='train.csv',
    class_file='class_names.txt',
    data_prefix=dict(img_path='images'))
train_dataloader = dict(dataset=dict(dataset=train_split))
test_dataloader = dict(dataset=train_split)
