# mmseg's runtime, written out rather than inherited with 'mmseg::': an
# inherited dict keeps _scope_='mmseg' and would hide mmconta's types.
# Unprefixed types resolve through mmconta's registries, then mmseg's.
default_scope = 'mmconta'
# Lets upstream mmseg's tools/train.py find mmconta's types too.
custom_imports = dict(imports=['mmconta'], allow_failed_imports=False)

env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
# Local checkpoints load weights-only with mmconta's allow-list during the
# run (importing mmconta leaves mmengine's loader alone);
# mmengine 0.10.7's checkpoints fail torch>=2.6's weights-only load;
# seeding every epoch makes a resumed epoch draw what it drew the first time;
# a class count that disagrees with the data is refused before the first step.
custom_hooks = [
    dict(type='SafeLoadingHook'),
    dict(type='WeightsOnlyCheckpointHook'),
    dict(type='EpochSeedHook'),
    dict(type='ClassCountCheckHook')
]
log_processor = dict(by_epoch=True)
log_level = 'INFO'
visualizer = dict(
    type='CAMVisualizer',
    vis_backends=[dict(type='LocalVisBackend')],
    name='visualizer')
randomness = dict(seed=0)
load_from = None
resume = False
