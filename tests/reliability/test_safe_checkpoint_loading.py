"""Opted-in loads are weights-only with mmconta's allow-list; importing
mmconta changes no loader."""
import os
import subprocess
import sys
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import CheckpointLoader, Runner

from mmconta.registry import RUNNERS
from mmconta.utils import safe_load
from mmconta.utils.safe_load import (TRUSTED_CHECKPOINTS_ENV,
                                     load_from_local_safely, safe_loading)
from round_loop import write_config
from tiny_data import make_folder_tree

MODEL = dict(
    type='CAMClassifier',
    data_preprocessor=dict(type='SegDataPreProcessor', size=(24, 32)),
    backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8,
                  strides=(1, 1, 1, 1), out_indices=(3, )),
    head=dict(type='CAMHead', in_channels=64, num_classes=3))


class Foreign:
    """An object of a class that no allow-list names."""


def train_config(root, work_dir, max_epochs, **kwargs):
    return dict(
        model=MODEL,
        work_dir=str(work_dir),
        default_scope='mmconta',
        experiment_name=f'safe_load_{uuid.uuid4().hex}',
        train_dataloader=dict(
            batch_size=2, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(
                type='FolderWSSSDataset', data_root=str(root),
                img_suffix='.png',
                pipeline=[
                    dict(type='LoadImageFromFile'),
                    dict(type='PackWSSSInputs')
                ])),
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        param_scheduler=[dict(type='PolyLR', power=0.9, by_epoch=True)],
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        custom_hooks=[
            dict(type='SafeLoadingHook'),
            dict(type='WeightsOnlyCheckpointHook')
        ],
        **kwargs)


@pytest.fixture(autouse=True)
def weights_only_on(monkeypatch):
    # The escape hatches that would make a passing load prove nothing.
    monkeypatch.delenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', raising=False)
    monkeypatch.delenv(TRUSTED_CHECKPOINTS_ENV, raising=False)


@pytest.fixture(autouse=True)
def local_loader():
    """The loader of local files before the test, put back after it."""
    loader = CheckpointLoader._schemes['']
    yield loader
    CheckpointLoader.register_scheme('', loader, force=True)


@pytest.fixture
def safe_loads(monkeypatch):
    """The files :func:`load_from_local_safely` is called with, in order."""
    files = []

    def spy(filename, map_location=None):
        files.append(filename)
        return load_from_local_safely(filename, map_location)

    # safe_loading registers the module's function when it is entered.
    monkeypatch.setattr(safe_load, 'load_from_local_safely', spy)
    return files


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A data tree and the checkpoint of one epoch of a real Runner."""
    tmp = tmp_path_factory.mktemp('safe_load')
    root = tmp / 'data'
    make_folder_tree(root)
    work_dir = tmp / 'work'
    Runner.from_cfg(train_config(root, work_dir, max_epochs=1)).train()
    return root, work_dir / 'epoch_1.pth'


@pytest.fixture
def foreign_checkpoint(trained, tmp_path):
    _, checkpoint = trained
    state = torch.load(checkpoint, weights_only=True)
    state['meta']['payload'] = Foreign()
    path = tmp_path / 'foreign.pth'
    torch.save(state, path)
    return path


def assert_weights_loaded(runner, checkpoint):
    expected = torch.load(checkpoint, weights_only=True)['state_dict']
    for name, value in runner.model.state_dict().items():
        torch.testing.assert_close(value, expected[name])


def test_importing_mmconta_leaves_the_local_loader_alone():
    # A fresh interpreter: this one imported mmconta long ago. The import
    # is what custom_imports=['mmconta'] does in any mmengine config.
    code = '\n'.join([
        'from mmengine.runner import CheckpointLoader',
        "before = CheckpointLoader._schemes['']",
        'from mmengine.utils import import_modules_from_strings',
        "import_modules_from_strings(['mmconta', 'mmconta.utils.safe_load'])",
        "assert CheckpointLoader._schemes[''] is before, "
        "CheckpointLoader._schemes['']",
    ])
    subprocess.run([sys.executable, '-c', code], check=True)


def test_safe_loading_restores_the_previous_loader(local_loader):
    assert local_loader is not load_from_local_safely

    def previous(filename, map_location=None):
        """A loader that another package registered."""

    CheckpointLoader.register_scheme('', previous, force=True)
    with pytest.raises(KeyError):
        with safe_loading():
            assert CheckpointLoader._get_checkpoint_loader(
                'epoch_1.pth') is load_from_local_safely
            with safe_loading():
                pass
            assert CheckpointLoader._schemes[''] is load_from_local_safely
            raise KeyError
    assert CheckpointLoader._schemes[''] is previous
    # Remote schemes are not touched.
    assert CheckpointLoader._get_checkpoint_loader(
        'https://a/b.pth').__name__ == 'load_from_http'


def test_config_opt_in_resumes_weights_only(trained, local_loader, safe_loads):
    assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ
    root, checkpoint = trained
    # Resume needs the optimizer, scheduler and message hub state too.
    work_dir = checkpoint.parent
    resumed = Runner.from_cfg(
        train_config(root, work_dir, max_epochs=2, resume=True))
    resumed.train()
    assert resumed.epoch == 2
    assert (work_dir / 'epoch_2.pth').is_file()
    assert safe_loads == [str(checkpoint)]
    # SafeLoadingHook registered the safe loader for the load only.
    assert CheckpointLoader._schemes[''] is local_loader


def load_explicitly(root, work_dir, checkpoint) -> Runner:
    """A runner whose ``load_from`` loads inside :func:`safe_loading`."""
    runner = Runner.from_cfg(
        train_config(root, work_dir, max_epochs=1, load_from=str(checkpoint)))
    with safe_loading():
        runner.load_or_resume()
    return runner


def test_explicit_opt_in_loads_weights_only(trained, tmp_path, safe_loads):
    root, checkpoint = trained
    loaded = load_explicitly(root, tmp_path / 'load', checkpoint)
    assert_weights_loaded(loaded, checkpoint)
    assert safe_loads == [str(checkpoint)]


def test_foreign_global_is_refused_with_a_way_out(trained, foreign_checkpoint,
                                                  tmp_path, monkeypatch,
                                                  local_loader):
    root, _ = trained
    runner = Runner.from_cfg(
        train_config(root, tmp_path / 'work', max_epochs=1,
                     load_from=str(foreign_checkpoint)))
    name = f'{Foreign.__module__}.Foreign'
    with pytest.raises(RuntimeError) as refused:
        runner.train()
    message = str(refused.value)
    assert str(foreign_checkpoint) in message
    assert name in message and TRUSTED_CHECKPOINTS_ENV in message
    # The failed run leaves the loader as it found it.
    assert CheckpointLoader._schemes[''] is local_loader

    # torch's global switch does not reach past the explicit weights_only.
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with pytest.raises(RuntimeError, match=name):
        load_from_local_safely(str(foreign_checkpoint))


def test_trusted_checkpoint_loads_in_full(trained, foreign_checkpoint,
                                          tmp_path, monkeypatch, capsys):
    root, checkpoint = trained
    monkeypatch.setenv(
        TRUSTED_CHECKPOINTS_ENV,
        os.pathsep.join([str(tmp_path / 'other.pth'),
                         str(foreign_checkpoint)]))
    runner = load_explicitly(root, tmp_path / 'work', foreign_checkpoint)
    # The foreign file holds the weights of ``checkpoint``.
    assert_weights_loaded(runner, checkpoint)
    assert 'weights_only=False' in capsys.readouterr().out
    assert isinstance(
        load_from_local_safely(str(foreign_checkpoint))['meta']['payload'],
        Foreign)


def test_round_loop_stages_load_weights_only(shapes_root, tmp_path,
                                             local_loader, safe_loads):
    cfg = Config.fromfile(
        write_config(tmp_path / 'conta.py', shapes_root, rounds=1))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.stop_after = 'cam'
    RUNNERS.build(cfg).train()
    # The CAM stage loaded the classifier's checkpoint.
    assert safe_loads == [str(tmp_path / 'work/round_0/cls/epoch_1.pth')]
    assert CheckpointLoader._schemes[''] is local_loader
