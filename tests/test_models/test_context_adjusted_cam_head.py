"""ContextAdjustedCAMHead: M as the paper writes it, concatenated."""
import math

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmconta.models import ContextAdjustedCAMHead


@pytest.fixture
def bank_file(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / 'confounder_bank.npz'
    np.savez(path, confounders=rng.random((3, 4, 4)).astype(np.float32),
             prior=np.array([0.5, 0.3, 0.2], np.float32),
             counts=np.array([2, 1, 1]), classes=np.array(['a', 'b', 'c']))
    return path


def samples(n=2, size=8):
    out = []
    for i in range(n):
        sample = SegDataSample()
        mask = torch.zeros(1, size, size, dtype=torch.long)
        mask[:, :size // 2 + i, :] = 1 + i
        mask[:, -1] = 255
        sample.prev_mask = PixelData(data=mask)
        sample.gt_img_labels = torch.eye(3)[i]
        out.append(sample)
    return out


def test_adjustment_follows_the_formula(bank_file):
    head = ContextAdjustedCAMHead(4, 3, bank_file=str(bank_file))
    assert head.embed_dims == 4
    masks = torch.rand(2, 4, 4)
    c = head.confounders.flatten(1)
    alpha = torch.softmax(
        head.query(masks.flatten(1)) @ head.key(c).t() / math.sqrt(4), 1)
    expected = torch.einsum('nk,k,kp->np', alpha, head.prior, c)
    torch.testing.assert_close(
        head.context_adjustment(masks), expected.view(2, 4, 4))


def test_classifier_sees_m_and_cams_see_only_the_image(bank_file):
    head = ContextAdjustedCAMHead(4, 3, bank_file=str(bank_file))
    assert head.classifier.weight.shape == (3, 5, 1, 1)
    feat = torch.randn(2, 4, 6, 6)
    data_samples = samples()
    # M's weights start at zero: the plain classifier at initialisation.
    torch.testing.assert_close(head(feat, data_samples),
                               head.cam(feat).mean((2, 3)))
    with torch.no_grad():
        head.classifier.weight[:, 4:] = 1.0
    logits = head(feat, data_samples)
    cams = head.cam(feat)
    assert cams.shape == (2, 3, 6, 6)
    # Logits = pooled image-feature CAMs + the M channel's contribution.
    m_part = logits - cams.mean((2, 3))
    assert m_part.abs().sum() > 0
    other = samples()
    other[0].prev_mask = PixelData(data=torch.zeros(1, 8, 8, dtype=torch.long))
    assert not torch.allclose(head(feat, other)[0], logits[0])
    assert set(head.loss(feat, data_samples)) == {'loss_cls'}


def test_bank_is_in_the_state_dict(bank_file):
    head = ContextAdjustedCAMHead(4, 3, bank_file=str(bank_file))
    restored = ContextAdjustedCAMHead(4, 3, bank_size=(4, 4))
    restored.load_state_dict(head.state_dict())
    torch.testing.assert_close(restored.confounders, head.confounders)
    torch.testing.assert_close(restored.prior, head.prior)


def test_errors(bank_file):
    with pytest.raises(ValueError, match='3 confounders for 5 classes'):
        ContextAdjustedCAMHead(4, 5, bank_file=str(bank_file))
    head = ContextAdjustedCAMHead(4, 3, bank_file=str(bank_file))
    sample = SegDataSample()
    with pytest.raises(ValueError, match='LoadPreviousMask'):
        head(torch.randn(1, 4, 6, 6), [sample])
