# The round loop's own settings (mmconta.engine.ContaRoundRunner); each
# stage keeps its config's runtime. A conta config adds data_root, rounds,
# cls and seg: stage config paths ('{{fileDirname}}/...' is the folder of
# the file that names them) and cfg_options merged into those configs.
runner_type = 'ContaRoundRunner'
default_scope = 'mmconta'
custom_imports = dict(imports=['mmconta'], allow_failed_imports=False)
randomness = dict(seed=0)
conta = dict(
    # ContextAdjustedCAMHead options: where M enters (inject), x_m ('binary'
    # or 'soft'), embed_dims (d, default K + 1). No placement beat the
    # retraining control in docs/results/conta_study.md, so the default is
    # the one closest to the authors' words, "concatenated into the
    # backbone": after stage 2, the study's best stage.
    head=dict(inject='stage2'),
    # control='shuffled': each image gets another image's x_m.
    control=None,
    # ConfounderBankHook options: confounder size h x w, prior P(c),
    # which images a class's average runs over.
    bank=dict(size=(32, 32), prior='uniform', membership='label'))
# What rounds t >= 1 change against the context: 'conta' (the context
# adjustment above), 'cda' (objects of round t-1's masks pasted into copies
# of the images, PasteInstances in the classifier's pipeline), 'both', or
# 'none' (the retraining control: round t as CONTA's, without M).
intervention = 'conta'
# CDA's instance bank (mmconta.datasets.instance_bank): round t-1's
# pseudo-masks (or 'seg_train', its segmentor's), images with exactly one
# class covering 10-70 % of them, as CDA's make_aug_fg.py keeps them.
cda = dict(source='pseudo', min_fg_ratio=0.1, max_fg_ratio=0.7)
