"""Checkpoints load with torch's weights-only safety on: load_from, resume."""
import copy
import uuid

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import Runner

from mmconta.engine.hooks.weights_only_checkpoint_hook import (from_plain,
                                                                to_plain)
from tiny_data import make_folder_tree

MODEL = dict(
    type='CAMClassifier',
    data_preprocessor=dict(type='SegDataPreProcessor', size=(24, 32)),
    backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8,
                  strides=(1, 1, 1, 1), out_indices=(3, )),
    head=dict(type='CAMHead', in_channels=64, num_classes=3))


def train_config(root, work_dir, max_epochs):
    return dict(
        model=MODEL,
        work_dir=str(work_dir),
        default_scope='mmconta',
        experiment_name=f'ckpt_{uuid.uuid4().hex}',
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
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        custom_hooks=[dict(type='WeightsOnlyCheckpointHook')])


def test_plain_round_trip():
    buffer = HistoryBuffer()
    buffer.update(1.5, 2)
    state = dict(hub=dict(loss=buffer), eta=np.float64(3.0),
                 table=np.arange(3), nested=[np.int64(4)])
    plain = to_plain(copy.deepcopy(state))
    assert isinstance(plain['eta'], float) and plain['nested'] == [4]
    back = from_plain(plain)
    np.testing.assert_array_equal(back['table'], state['table'])
    assert back['hub']['loss'].mean() == buffer.mean()


def test_resume_and_load_from_with_weights_only_loading(tmp_path):
    root = tmp_path / 'data'
    make_folder_tree(root)
    work_dir = tmp_path / 'work'
    Runner.from_cfg(train_config(root, work_dir, max_epochs=1)).train()
    checkpoint = work_dir / 'epoch_1.pth'
    assert torch.serialization.get_unsafe_globals_in_checkpoint(
        str(checkpoint)) == []
    torch.load(checkpoint, weights_only=True)

    resumed = Runner.from_cfg(
        dict(train_config(root, work_dir, max_epochs=2), resume=True))
    resumed.train()
    assert resumed.epoch == 2
    # The message hub came back from the checkpoint as HistoryBuffers.
    assert isinstance(resumed.message_hub.get_scalar('train/lr'),
                      HistoryBuffer)

    loaded = Runner.from_cfg(
        dict(train_config(root, tmp_path / 'other', max_epochs=1),
             load_from=str(checkpoint)))
    loaded.load_or_resume()
    expected = torch.load(checkpoint, weights_only=True)['state_dict']
    for name, value in loaded.model.state_dict().items():
        torch.testing.assert_close(value, expected[name])


def test_a_checkpoint_with_foreign_objects_is_refused(tmp_path):
    path = tmp_path / 'foreign.pth'
    torch.save(dict(state_dict={}, payload=HistoryBuffer()), path)
    with pytest.raises(Exception, match='weights_only|Unsupported global'):
        torch.load(path, weights_only=True)
