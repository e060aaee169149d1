"""CAMHead: logits are the pooled CAMs, the loss is soft-margin."""
import pytest
import torch
import torch.nn.functional as F
from mmseg.structures import SegDataSample

from mmconta.models import CAMHead


def samples(labels):
    out = []
    for row in labels:
        sample = SegDataSample()
        sample.gt_img_labels = torch.tensor(row, dtype=torch.float32)
        out.append(sample)
    return out


def test_logits_are_the_spatial_mean_of_the_cams():
    head = CAMHead(in_channels=4, num_classes=3)
    feat = torch.randn(2, 4, 23, 23)
    logits = head(feat)
    assert logits.shape == (2, 3)
    cams = head.cam(feat)
    assert cams.shape == (2, 3, 23, 23)
    torch.testing.assert_close(cams.mean((2, 3)), logits)
    assert head.classifier.bias is None


def test_loss_is_multilabel_soft_margin():
    head = CAMHead(in_channels=4, num_classes=3, loss_weight=0.5)
    feat = torch.randn(2, 4, 23, 23)
    labels = [[1, 0, 1], [0, 1, 0]]
    loss = head.loss(feat, samples(labels))['loss_cls']
    expected = F.multilabel_soft_margin_loss(head(feat), torch.tensor(
        labels, dtype=torch.float32))
    torch.testing.assert_close(loss, 0.5 * expected)


def test_predict_sets_sigmoid_scores():
    head = CAMHead(in_channels=4, num_classes=3)
    feat = torch.randn(2, 4, 5, 5)
    out = head.predict(feat, samples([[1, 0, 0], [0, 0, 1]]))
    torch.testing.assert_close(
        torch.stack([s.pred_img_scores for s in out]),
        torch.sigmoid(head(feat)))


def test_cam_uses_only_the_image_feature_weights():
    # A subclass that appends a channel (CONTA) keeps CAMs of the image part.
    class ExtraChannelHead(CAMHead):

        def classifier_channels(self):
            return self.in_channels + 1

        def classifier_input(self, feat, data_samples=None):
            return torch.cat([feat, torch.ones_like(feat[:, :1])], dim=1)

    head = ExtraChannelHead(in_channels=4, num_classes=3)
    feat = torch.randn(2, 4, 23, 23)
    assert head.classifier.weight.shape == (3, 5, 1, 1)
    torch.testing.assert_close(
        head.cam(feat).mean((2, 3)),
        head(feat) - head.classifier.weight[:, 4, 0, 0])


@pytest.mark.parametrize('kwargs,match', [
    (dict(in_channels=4, num_classes=0), 'num_classes'),
    (dict(in_channels=0, num_classes=3), 'in_channels'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CAMHead(**kwargs)
