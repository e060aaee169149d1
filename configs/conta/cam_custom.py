# CONTA on your own data: images with image-level labels only
# (docs/user_guides/custom_data.md), the CAM method of cam_shapes.py.
#   python tools/train.py configs/conta/cam_custom.py --data-root data/my_data
_base_ = ['./cam_shapes.py']
data_root = 'data/my_data'
cls = dict(
    config='{{fileDirname}}/../cam/cam_r18-w16_1xb16-12e_custom-96x96.py')
seg = dict(
    config='{{fileDirname}}/../seg/'
    'deeplab-aspp_r18-w16_1xb16-10e_custom-96x96.py')
# CDA's own least share of the image for a bank object (cam_shapes.py's 2 %
# is for the synthetic set's small shapes).
cda = dict(min_fg_ratio=0.1)
