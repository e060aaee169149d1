"""Batched pair labels and affinities agree with the dense random-walk
ones."""
import pytest
import torch

from mmconta.models.utils.pair_affinity import (pair_boundary_affinity,
                                                pair_displacement,
                                                pair_feature_affinity,
                                                pair_labels, pair_valid)
from mmconta.models.utils.random_walk import (affinity_from_boundary,
                                              affinity_from_features,
                                              pair_offsets)


def pairs(height, width, radius):
    """(p, y, x, i, j) of every in-map pair, i and j flat indices."""
    for p, (dy, dx) in enumerate(pair_offsets(radius)):
        for y in range(height):
            for x in range(width):
                if y + dy < height and 0 <= x + dx < width:
                    yield p, y, x, y * width + x, (y + dy) * width + x + dx


def test_pair_valid_marks_partners_inside():
    valid = pair_valid(3, 4, 3)
    offsets = pair_offsets(3)
    assert valid.shape == (len(offsets), 3, 4)
    inside = {(p, y, x) for p, y, x, _, _ in pairs(3, 4, 3)}
    assert valid.nonzero().tolist() == sorted(map(list, inside))


def test_pair_labels_on_a_hand_built_label():
    # 3 x 4 label: background 0, classes 1 and 2, 255 unsure.
    label = torch.tensor([[[0, 0, 1, 255],
                           [0, 1, 1, 2],
                           [255, 0, 2, 2]]])
    out = pair_labels(label, 2)
    offsets = pair_offsets(2)  # (0, 1), (1, -1), (1, 0), (1, 1)
    assert offsets == [(0, 1), (1, -1), (1, 0), (1, 1)]
    # Offset (0, 1): row pairs (0,0)-(0,1) bg, (0,1)-(0,2) neg, (0,2)-(0,3)
    # unsure; (1,0)-(1,1) neg, (1,1)-(1,2) fg, (1,2)-(1,3) neg; (2,0)
    # unsure, (2,1)-(2,2) neg, (2,2)-(2,3) fg; x = 3 has no partner.
    assert out['bg_pos'][0, 0].tolist() == [[1, 0, 0, 0], [0, 0, 0, 0],
                                            [0, 0, 0, 0]]
    assert out['fg_pos'][0, 0].tolist() == [[0, 0, 0, 0], [0, 1, 0, 0],
                                            [0, 0, 1, 0]]
    assert out['neg'][0, 0].tolist() == [[0, 1, 0, 0], [1, 0, 1, 0],
                                         [0, 1, 0, 0]]
    # Offset (1, 0): (0,0)-(1,0) bg, (0,1)-(1,1) neg, (0,2)-(1,2) fg,
    # (0,3) unsure; (1,0)-(2,0) unsure, (1,1)-(2,1) neg, (1,2)-(2,2) neg,
    # (1,3)-(2,3) fg; the last row has no partner.
    assert out['bg_pos'][0, 2].tolist() == [[1, 0, 0, 0], [0, 0, 0, 0],
                                            [0, 0, 0, 0]]
    assert out['fg_pos'][0, 2].tolist() == [[0, 0, 1, 0], [0, 0, 0, 1],
                                            [0, 0, 0, 0]]
    assert out['neg'][0, 2].tolist() == [[0, 1, 0, 0], [0, 1, 1, 0],
                                         [0, 0, 0, 0]]
    # Brute force over every offset: the rule, pairwise disjoint masks.
    flat = label[0].flatten().tolist()
    for key in out:
        assert out[key].dtype == torch.float32
    total = sum(out.values())
    assert total.max() <= 1
    for p, y, x, i, j in pairs(3, 4, 2):
        a, b = flat[i], flat[j]
        labelled = a != 255 and b != 255
        assert out['bg_pos'][0, p, y, x] == (labelled and a == b == 0)
        assert out['fg_pos'][0, p, y, x] == (labelled and a == b > 0)
        assert out['neg'][0, p, y, x] == (labelled and a != b)
    assert total.sum() == sum(
        1 for _, _, _, i, j in pairs(3, 4, 2)
        if flat[i] != 255 and flat[j] != 255)


@pytest.mark.parametrize('radius', [2, 3, 5])
def test_pair_feature_affinity_equals_the_dense_one(radius):
    torch.manual_seed(0)
    feat = torch.randn(2, 6, 5, 7, dtype=torch.float64)
    aff = pair_feature_affinity(feat, radius)
    assert aff.shape == (2, len(pair_offsets(radius)), 5, 7)
    valid = pair_valid(5, 7, radius)
    assert (aff[:, ~valid] == 0).all()
    for n in range(2):
        dense = affinity_from_features(feat[n], radius, beta=1)
        for p, y, x, i, j in pairs(5, 7, radius):
            assert aff[n, p, y, x] == pytest.approx(dense[i, j].item())


@pytest.mark.parametrize('radius', [2, 4, 6])
def test_pair_boundary_affinity_equals_the_dense_one(radius):
    torch.manual_seed(1)
    boundary = torch.rand(2, 6, 7, dtype=torch.float64)
    aff = pair_boundary_affinity(boundary, radius)
    assert (aff[:, ~pair_valid(6, 7, radius)] == 0).all()
    for n in range(2):
        dense = affinity_from_boundary(boundary[n], radius, beta=1)
        for p, y, x, i, j in pairs(6, 7, radius):
            assert aff[n, p, y, x] == dense[i, j]


def test_pair_affinities_are_differentiable():
    feat = torch.randn(1, 3, 4, 4, requires_grad=True)
    boundary = torch.rand(1, 4, 4, requires_grad=True)
    (pair_feature_affinity(feat, 3).sum() +
     pair_boundary_affinity(boundary, 3).sum()).backward()
    assert feat.grad.abs().sum() > 0 and boundary.grad.abs().sum() > 0


def test_pair_displacement_of_a_field_to_the_centroid_matches_targets():
    # Every pixel of a 5 x 6 object points to its centroid (2, 2.5):
    # d_i = c - p_i, so d_i - d_j = p_j - p_i, the target offset.
    height, width, radius = 5, 6, 4
    ys, xs = torch.meshgrid(
        torch.arange(height, dtype=torch.float64),
        torch.arange(width, dtype=torch.float64),
        indexing='ij')
    disp = torch.stack([2 - ys, 2.5 - xs])[None]
    diff, target = pair_displacement(disp, radius)
    offsets = pair_offsets(radius)
    assert diff.shape == (1, 2, len(offsets), height, width)
    assert target.shape == (1, 2, len(offsets), 1, 1)
    assert target[0, :, :, 0, 0].t().tolist() == [list(o) for o in offsets]
    label = torch.ones(1, height, width, dtype=torch.long)
    fg_pos = pair_labels(label, radius)['fg_pos'][:, None]
    assert fg_pos.sum() > 0
    assert ((diff - target).abs() * fg_pos).sum() == 0
    # The opposite sign convention would not be zero.
    assert ((-diff - target).abs() * fg_pos).sum() > 0
    # A constant field has zero background loss |d_i - d_j|.
    diff, _ = pair_displacement(torch.ones(1, 2, height, width), radius)
    assert (diff == 0).all()


@pytest.mark.parametrize('radius', [1, 0, 2.5, True])
def test_bad_radius_is_refused(radius):
    with pytest.raises(ValueError, match='radius'):
        pair_labels(torch.zeros(1, 3, 3, dtype=torch.long), radius)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match='label'):
        pair_labels(torch.zeros(3, 3, dtype=torch.long), 2)
    with pytest.raises(ValueError, match='integer'):
        pair_labels(torch.zeros(1, 3, 3), 2)
    with pytest.raises(ValueError, match='feat'):
        pair_feature_affinity(torch.zeros(3, 3, 3), 2)
    with pytest.raises(ValueError, match='boundary'):
        pair_boundary_affinity(torch.zeros(1, 1, 3, 3), 2)
    with pytest.raises(ValueError, match='2 channels'):
        pair_displacement(torch.zeros(1, 3, 3, 3), 2)
