"""ConfounderBankHook: class-wise average masks, prior, ranks, padding."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.dataset import DefaultSampler
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmconta.engine.hooks import ConfounderBankHook


def sample(pred, labels):
    data_sample = SegDataSample()
    data_sample.pred_sem_seg = PixelData(data=torch.as_tensor(pred)[None])
    data_sample.gt_img_labels = torch.tensor(labels, dtype=torch.float32)
    return data_sample


class TinyDataset(list):
    metainfo = dict(classes=('background', 'a', 'b', 'c'))


def fake_runner(tmp_path, num_images):
    """The two runner attributes the hook reads, over a real sampler."""
    dataset = TinyDataset(range(num_images))
    return SimpleNamespace(
        work_dir=str(tmp_path),
        test_dataloader=SimpleNamespace(
            dataset=dataset, sampler=DefaultSampler(dataset, shuffle=False)))


def images():
    left = np.zeros((4, 4), np.int64)
    left[:, :2] = 1  # class a on the left half
    top = np.zeros((4, 4), np.int64)
    top[:2] = 2  # class b on the top half
    both = left.copy()
    both[:2, 2:] = 2
    return [(left, [1, 0, 0]), (top, [0, 1, 0]), (both, [1, 1, 0])]


def test_bank_is_the_class_wise_mean_mask(tmp_path):
    hook = ConfounderBankHook(size=(2, 2))
    runner = fake_runner(tmp_path, 3)
    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0, outputs=[sample(*i) for i in images()])
    hook.after_test_epoch(runner)
    bank = np.load(tmp_path / 'confounder_bank.npz')
    np.testing.assert_allclose(bank['confounders'][0], [[1, 0], [1, 0]])
    np.testing.assert_allclose(bank['confounders'][1], [[.5, 1], [0, 0]])
    np.testing.assert_allclose(bank['confounders'][2], 0)  # never seen
    np.testing.assert_allclose(bank['counts'], [2, 2, 0])
    np.testing.assert_allclose(bank['prior'], [1 / 3] * 3)
    assert list(bank['classes']) == ['a', 'b', 'c']


def test_frequency_prior_and_prediction_membership(tmp_path):
    hook = ConfounderBankHook(size=(2, 2), prior='frequency',
                              membership='prediction')
    runner = fake_runner(tmp_path, 3)
    hook.before_test_epoch(runner)
    # The label of image 0 wrongly names b: membership by prediction ignores it.
    pred, _ = images()[0]
    hook.after_test_iter(runner, 0, outputs=[sample(pred, [1, 1, 0])])
    _, prior = hook.bank()
    np.testing.assert_allclose(hook.counts, [1, 0, 0])
    np.testing.assert_allclose(prior, [1, 0, 0])


def test_two_ranks_with_padding_equal_one_rank(tmp_path):
    data = images()
    one = ConfounderBankHook(size=(2, 2))
    runner = fake_runner(tmp_path, 3)
    one.before_test_epoch(runner)
    one.after_test_iter(runner, 0, outputs=[sample(*i) for i in data])
    # DefaultSampler over 3 images and 2 ranks: rank 0 gets 0, 2; rank 1
    # gets 1 and then image 0 again as padding, which must not count.
    sums, counts = torch.zeros_like(one.sums), torch.zeros_like(one.counts)
    for rank, order in ((0, [0, 2]), (1, [1, 0])):
        hook = ConfounderBankHook(size=(2, 2))
        runner = fake_runner(tmp_path, 3)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr('mmconta.engine.hooks.confounder_bank_hook.'
                       'get_dist_info', lambda: (rank, 2))
            hook.before_test_epoch(runner)
        hook.after_test_iter(runner, 0,
                             outputs=[sample(*data[i]) for i in order])
        sums += hook.sums
        counts += hook.counts
    torch.testing.assert_close(sums, one.sums)
    torch.testing.assert_close(counts, one.counts)


def test_state_survives_a_checkpoint(tmp_path):
    hook = ConfounderBankHook(size=(2, 2))
    runner = fake_runner(tmp_path, 3)
    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0, outputs=[sample(*i) for i in images()])
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    restored = ConfounderBankHook(size=(2, 2))
    restored.after_load_checkpoint(runner, checkpoint)
    for a, b in zip(hook.bank(), restored.bank()):
        torch.testing.assert_close(a, b)


def test_bad_arguments():
    with pytest.raises(ValueError, match='prior'):
        ConfounderBankHook(prior='zipf')
    with pytest.raises(ValueError, match='membership'):
        ConfounderBankHook(membership='oracle')
    with pytest.raises(ValueError, match='size'):
        ConfounderBankHook(size=(0, 4))
