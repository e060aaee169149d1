# CONTA on IRN on your own data (docs/user_guides/custom_data.md), as
# irn_shapes.py does it on the synthetic benchmark.
#   python tools/train.py configs/conta/irn_custom.py --data-root data/my_data
_base_ = ['./irn_shapes.py']
data_root = 'data/my_data'
cls = dict(
    config='{{fileDirname}}/../cam/cam_r18-w16_1xb16-12e_custom-96x96.py')
refine = dict(
    config='{{fileDirname}}/../irn/irn_r18-w16_1xb16-10e_custom-96x96.py')
seg = dict(
    config='{{fileDirname}}/../seg/'
    'deeplab-aspp_r18-w16_1xb16-10e_custom-96x96.py')
