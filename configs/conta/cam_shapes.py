# CONTA on the synthetic confounded benchmark, CPU-sized: round 0 is the
# CAM baseline (configs/cam/cam_shapes.py -> configs/seg/seg_shapes.py),
# rounds 1 and 2 retrain the classifier with the context adjustment.
#   python tools/train.py configs/conta/cam_shapes.py
_base_ = ['../_base_/conta_runtime.py']
data_root = 'data/confounded_shapes'
rounds = 3
cls = dict(config='{{fileDirname}}/../cam/cam_shapes.py')
seg = dict(config='{{fileDirname}}/../seg/seg_shapes.py')
