"""Pair offsets, feature and boundary affinities, and the random walk."""
import math

import pytest
import torch

from mmconta.models.utils.random_walk import (affinity_from_boundary,
                                              affinity_from_features,
                                              pair_offsets, random_walk,
                                              transition_matrix)


def flat(y, x, width):
    return y * width + x


def dist_sq(i, j, width):
    (yi, xi), (yj, xj) = divmod(i, width), divmod(j, width)
    return (yi - yj)**2 + (xi - xj)**2


def block_affinity(sizes, dtype=torch.float64):
    """Block-diagonal all-ones affinity: one fully connected set a block."""
    return torch.block_diag(*[torch.ones(n, n, dtype=dtype) for n in sizes])


# --- pair_offsets ----------------------------------------------------------


def test_pair_offsets_radius_1_and_2():
    # Strictly closer than 1: nothing; closer than 2: the 8-neighbourhood,
    # one of each opposite pair.
    assert pair_offsets(1) == []
    assert pair_offsets(2) == [(0, 1), (1, -1), (1, 0), (1, 1)]


def test_pair_offsets_are_a_half_disc_without_duplicates():
    assert pair_offsets(3) == [(0, 1), (0, 2),
                               (1, -2), (1, -1), (1, 0), (1, 1), (1, 2),
                               (2, -2), (2, -1), (2, 0), (2, 1), (2, 2)]
    for radius in (2, 3, 5, 10):
        offsets = pair_offsets(radius)
        assert len(set(offsets)) == len(offsets)
        assert (0, 0) not in offsets
        # With their opposites they tile the punctured disc exactly once.
        both = offsets + [(-dy, -dx) for dy, dx in offsets]
        disc = [(dy, dx) for dy in range(-radius, radius + 1)
                for dx in range(-radius, radius + 1)
                if 0 < dy * dy + dx * dx < radius * radius]
        assert sorted(both) == sorted(disc)
    assert len(pair_offsets(5)) == 34  # PSA, SEAM and IRN's walk radius


@pytest.mark.parametrize('radius', [0, -1, 2.5, True, '5'])
def test_pair_offsets_rejects_bad_radius(radius):
    with pytest.raises(ValueError, match='radius'):
        pair_offsets(radius)


# --- affinity_from_features ------------------------------------------------


def test_identical_features_give_1_within_the_radius_and_0_beyond():
    height, width, radius = 4, 6, 3
    feat = torch.ones(5, height, width, dtype=torch.float64) * 0.7
    aff = affinity_from_features(feat, radius=radius, beta=8)
    assert aff.shape == (height * width, height * width)
    for i in range(height * width):
        for j in range(height * width):
            expected = 1.0 if dist_sq(i, j, width) < radius**2 else 0.0
            assert aff[i, j].item() == expected, (i, j)


def test_feature_affinity_values_symmetry_and_beta():
    torch.manual_seed(0)
    feat = torch.randn(3, 5, 5, dtype=torch.float64)
    aff1 = affinity_from_features(feat, radius=3, beta=1)
    # a_ij = exp(-mean_c |f_i - f_j|) for a linked pair, e.g. (1,1)-(2,3).
    i, j = flat(1, 1, 5), flat(2, 3, 5)
    expected = math.exp(-(feat[:, 1, 1] - feat[:, 2, 3]).abs().mean().item())
    assert aff1[i, j].item() == pytest.approx(expected)
    torch.testing.assert_close(aff1, aff1.T)
    torch.testing.assert_close(aff1.diagonal(), torch.ones(25).double())
    # beta is a power of every entry.
    aff3 = affinity_from_features(feat, radius=3, beta=3)
    torch.testing.assert_close(aff3, aff1**3)


def test_distant_features_give_near_zero_affinity():
    feat = torch.zeros(2, 1, 2)
    feat[:, 0, 1] = 20.0
    aff = affinity_from_features(feat, radius=2, beta=1)
    assert aff[0, 1].item() == pytest.approx(math.exp(-20))
    assert aff[0, 1] < 1e-8 and aff[0, 0] == 1


def test_feature_affinity_rejects_bad_arguments():
    with pytest.raises(ValueError, match='feat'):
        affinity_from_features(torch.zeros(4, 4))
    with pytest.raises(ValueError, match='floating'):
        affinity_from_features(torch.zeros(1, 4, 4, dtype=torch.long))
    with pytest.raises(ValueError, match='C >= 1'):
        affinity_from_features(torch.zeros(0, 4, 4))
    with pytest.raises(ValueError, match='beta'):
        affinity_from_features(torch.zeros(1, 4, 4), beta=0)
    with pytest.raises(ValueError, match='radius'):
        affinity_from_features(torch.zeros(1, 4, 4), radius=0)


# --- affinity_from_boundary ------------------------------------------------


def wall_map(height=5, width=7, wall=3):
    boundary = torch.zeros(height, width, dtype=torch.float64)
    boundary[:, wall] = 1
    return boundary


def test_a_wall_cuts_the_affinity_and_a_flat_half_is_fully_connected():
    height, width, wall, radius = 5, 7, 3, 3
    aff = affinity_from_boundary(wall_map(height, width, wall), radius, 10)
    torch.testing.assert_close(aff, aff.T)
    for i in range(height * width):
        for j in range(height * width):
            xi, xj = i % width, j % width
            if i == j:
                expected = 1.0
            elif dist_sq(i, j, width) >= radius**2:
                expected = 0.0  # beyond the radius
            elif (xi < wall and xj < wall) or (xi > wall and xj > wall):
                expected = 1.0  # same flat half
            else:
                expected = 0.0  # across the wall, or an end on it
            assert aff[i, j].item() == expected, (divmod(i, width),
                                                  divmod(j, width))


def test_boundary_on_the_path_blocks_a_diagonal_pair():
    # IRN's diagonal path from (0,0) to (1,1) also passes (0,1) and (1,0).
    boundary = torch.zeros(2, 2)
    boundary[0, 1] = 0.5
    aff = affinity_from_boundary(boundary, radius=2, beta=1)
    assert aff[flat(0, 0, 2), flat(1, 1, 2)].item() == 0.5
    assert aff[flat(1, 0, 2), flat(1, 1, 2)].item() == 1.0
    assert aff[flat(0, 0, 2), flat(0, 1, 2)].item() == 0.5  # an end on it


def test_boundary_affinity_matches_a_brute_force_path_maximum():
    torch.manual_seed(1)
    height, width, radius, beta = 6, 7, 4, 2.0
    boundary = torch.rand(height, width, dtype=torch.float64)
    aff = affinity_from_boundary(boundary, radius, beta)
    expected = torch.eye(height * width, dtype=torch.float64)
    for i in range(height * width):
        for j in range(height * width):
            if i == j or dist_sq(i, j, width) >= radius**2:
                continue
            (yi, xi), (yj, xj) = divmod(i, width), divmod(j, width)
            dy, dx = yj - yi, xj - xi
            # Pixels of the bounding box within 1 of the line through i, j.
            worst = max(
                boundary[y, x].item()
                for y in range(min(yi, yj), max(yi, yj) + 1)
                for x in range(min(xi, xj), max(xi, xj) + 1)
                if abs(dy * (x - xi) - dx * (y - yi)) /
                math.hypot(dy, dx) < 1)
            expected[i, j] = (1 - worst)**beta
    torch.testing.assert_close(aff, expected)


def test_boundary_affinity_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        affinity_from_boundary(torch.full((3, 3), 1.5))
    with pytest.raises(ValueError, match='boundary'):
        affinity_from_boundary(torch.zeros(1, 3, 3))
    with pytest.raises(ValueError, match='beta'):
        affinity_from_boundary(torch.zeros(3, 3), beta=-1)


# --- transition_matrix and random_walk ------------------------------------


def test_transition_columns_sum_to_one_after_squaring():
    torch.manual_seed(2)
    aff = affinity_from_features(torch.randn(2, 4, 5, dtype=torch.float64),
                                 radius=3, beta=2)
    for logt in (0, 1, 3):
        trans = transition_matrix(aff, logt)
        torch.testing.assert_close(trans.sum(0), torch.ones(20).double())
    torch.testing.assert_close(transition_matrix(aff, 2),
                               torch.linalg.matrix_power(
                                   transition_matrix(aff), 4))


def test_uniform_full_affinity_makes_the_mean():
    torch.manual_seed(3)
    cams = torch.rand(2, 3, 4, dtype=torch.float64)
    out = random_walk(torch.ones(12, 12, dtype=torch.float64), cams, logt=1)
    torch.testing.assert_close(out, cams.mean((1, 2), keepdim=True)
                               .expand_as(cams))


def test_each_fully_connected_block_takes_its_own_mean():
    # Pixels 0-3 and 4-11 of a 3 x 4 map form two unrelated sets.
    cams = torch.arange(12, dtype=torch.float64).view(1, 3, 4)
    out = random_walk(block_affinity([4, 8]), cams, logt=2).flatten()
    torch.testing.assert_close(out[:4], torch.full((4,), 1.5).double())
    torch.testing.assert_close(out[4:], torch.full((8,), 7.5).double())


def test_activation_spreads_within_its_region_and_never_crosses_a_wall():
    height, width, wall = 5, 7, 3
    boundary = wall_map(height, width, wall)
    aff = affinity_from_boundary(boundary, radius=3, beta=10)
    cams = torch.zeros(1, height, width, dtype=torch.float64)
    cams[0, 2, 0] = 1.0  # one activated pixel in the left half
    out = random_walk(aff, cams, logt=4)[0]
    assert (out[:, :wall] > 0).all()  # reached the whole left half
    assert (out[:, wall:] == 0).all()  # exactly nothing on or past the wall
    # The walk averages: the left half tends to a constant, the source's
    # share of the half's degree (the degree-weighted mass is kept).
    degree = aff.sum(0).view(height, width)
    limit = degree[2, 0] / degree[:, :wall].sum()
    torch.testing.assert_close(out[:, :wall], limit.expand(height, wall))


def test_walk_keeps_constants_and_the_degree_weighted_mass():
    torch.manual_seed(4)
    aff = affinity_from_features(torch.randn(3, 4, 4, dtype=torch.float64),
                                 radius=3, beta=1)
    const = torch.full((1, 4, 4), 0.3, dtype=torch.float64)
    torch.testing.assert_close(random_walk(aff, const, logt=3), const)
    cams = torch.rand(2, 4, 4, dtype=torch.float64)
    out = random_walk(aff, cams, logt=3)
    degree = aff.sum(0)
    torch.testing.assert_close(out.view(2, -1) @ degree,
                               cams.view(2, -1) @ degree)


def test_squaring_and_stepping_agree():
    torch.manual_seed(5)
    aff = affinity_from_features(torch.randn(2, 4, 5, dtype=torch.float64),
                                 radius=3, beta=4)
    cams = torch.rand(3, 4, 5, dtype=torch.float64)
    torch.testing.assert_close(
        random_walk(aff, cams, logt=3),
        random_walk(aff, cams, logt=3, squaring=False))


def test_psa_background_is_walked_with_the_cams():
    cams = torch.tensor([[[0.2, 0.9]], [[0.5, 0.1]]], dtype=torch.float64)
    # Identity affinity (radius 1 links nothing): the walk changes nothing.
    identity = torch.eye(2, dtype=torch.float64)
    out = random_walk(identity, cams, logt=3, bg_alpha=2)
    assert out.shape == (3, 1, 2)
    torch.testing.assert_close(out[0], (1 - cams.amax(0))**2)
    torch.testing.assert_close(out[1:], cams)
    # Fully connected: background and CAMs are all averaged.
    out = random_walk(torch.ones(2, 2).double(), cams, logt=1, bg_alpha=2)
    torch.testing.assert_close(out[0], torch.full((1, 2), 0.13).double())


def test_irn_background_and_boundary_weighting():
    cams = torch.tensor([[[0.2, 0.4]], [[0.1, 0.3]]], dtype=torch.float64)
    boundary = torch.tensor([[0.0, 0.5]], dtype=torch.float64)
    identity = affinity_from_boundary(boundary, radius=1)
    out = random_walk(identity, cams, logt=2, boundary=boundary, bg_thr=0.25)
    # CAMs times (1 - boundary) = [[.2, .2]], [[.1, .15]]; over their max .2.
    torch.testing.assert_close(
        out, torch.tensor([[[0.25, 0.25]], [[1.0, 1.0]], [[0.5, 0.75]]],
                          dtype=torch.float64))


def test_no_class_gives_background_only():
    aff = torch.eye(6)
    cams = torch.zeros(0, 2, 3)
    assert random_walk(aff, cams).shape == (0, 2, 3)
    torch.testing.assert_close(random_walk(aff, cams, bg_thr=0.25),
                               torch.full((1, 2, 3), 0.25))
    torch.testing.assert_close(random_walk(aff, cams, bg_alpha=6),
                               torch.ones(1, 2, 3))
    # All-zero CAMs are not divided by their zero maximum.
    out = random_walk(aff, torch.zeros(1, 2, 3), bg_thr=0.25)
    assert torch.isfinite(out).all() and (out[1] == 0).all()


def test_random_walk_rejects_bad_arguments():
    aff, cams = torch.eye(6), torch.rand(2, 2, 3)
    with pytest.raises(ValueError, match='need'):
        random_walk(torch.eye(5), cams)
    with pytest.raises(ValueError, match='square'):
        random_walk(torch.ones(6, 5), cams)
    with pytest.raises(ValueError, match='cams'):
        random_walk(aff, torch.rand(6))
    with pytest.raises(ValueError, match='logt'):
        random_walk(aff, cams, logt=-1)
    with pytest.raises(ValueError, match='not both'):
        random_walk(aff, cams, bg_alpha=6, bg_thr=0.25)
    with pytest.raises(ValueError, match='bg_alpha'):
        random_walk(aff, cams, bg_alpha=0)
    with pytest.raises(ValueError, match='boundary'):
        random_walk(aff, cams, boundary=torch.zeros(3, 2))
    with pytest.raises(ValueError, match='sum to 0'):
        random_walk(torch.zeros(6, 6), cams)
    with pytest.raises(ValueError, match='non-negative'):
        random_walk(-torch.eye(6), cams)


def test_subnormal_affinities_walk_as_zero_and_the_setting_is_restored():
    """Subnormal floats are flushed during the walk (CPUs multiply them
    ~10x slower), nowhere else."""
    subnormal = torch.tensor(1e-40)
    if not torch.set_flush_denormal(True):
        pytest.skip('this CPU cannot flush subnormal floats')
    torch.set_flush_denormal(False)
    aff = torch.tensor([[1., 1e-40], [1e-40, 1.]])
    cams = torch.tensor([[[1., 0.]]])
    torch.testing.assert_close(random_walk(aff, cams, logt=0),
                               cams, atol=0, rtol=0)
    torch.testing.assert_close(
        transition_matrix(aff), torch.eye(2), atol=0, rtol=0)
    assert (subnormal * 1) > 0  # off again afterwards
