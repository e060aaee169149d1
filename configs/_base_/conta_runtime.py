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
    # False: the retraining control (round t as CONTA's, without M);
    # control='shuffled': each image gets another image's x_m.
    adjust=True,
    control=None,
    # ConfounderBankHook options: confounder size h x w, prior P(c),
    # which images a class's average runs over.
    bank=dict(size=(32, 32), prior='uniform', membership='label'))
