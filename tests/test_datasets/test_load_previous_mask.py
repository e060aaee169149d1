"""LoadPreviousMask: an image's own x_m, or another image's (shuffled)."""
import numpy as np
import pytest
from PIL import Image

from mmconta.datasets.transforms import LoadPreviousMask


@pytest.fixture
def mask_dir(tmp_path):
    for i in range(5):
        Image.fromarray(np.full((4, 6), i, np.uint8)).save(
            tmp_path / f'img_{i}.png')
    return tmp_path


def load(transform, img_id, shape=(4, 6)):
    return transform(dict(img_id=img_id, img=np.zeros((*shape, 3))))


def test_own_mask(mask_dir):
    result = load(LoadPreviousMask(str(mask_dir)), 'img_3')
    assert (result['prev_mask'] == 3).all()
    assert 'prev_mask' in result['seg_fields']


def test_shuffled_is_a_fixed_derangement(mask_dir):
    transform = LoadPreviousMask(str(mask_dir), shuffle_seed=0)
    ids = [f'img_{i}' for i in range(5)]
    partners = [transform.partner(i) for i in ids]
    assert sorted(partners) == ids  # every mask used once
    assert all(p != i for p, i in zip(partners, ids))  # none its own
    again = LoadPreviousMask(str(mask_dir), shuffle_seed=0)
    assert [again.partner(i) for i in ids] == partners
    other = LoadPreviousMask(str(mask_dir), shuffle_seed=1)
    assert [other.partner(i) for i in ids] != partners
    result = load(transform, 'img_0')
    assert (result['prev_mask'] == int(partners[0][-1])).all()


def test_shuffled_mask_is_resized_to_the_image(mask_dir):
    result = load(LoadPreviousMask(str(mask_dir), shuffle_seed=0), 'img_1',
                  shape=(8, 12))
    assert result['prev_mask'].shape == (8, 12)


def test_unknown_image_is_named(mask_dir):
    with pytest.raises(FileNotFoundError, match='img_9.png'):
        load(LoadPreviousMask(str(mask_dir), shuffle_seed=0), 'img_9')
    with pytest.raises(OSError, match='img_9.png'):
        load(LoadPreviousMask(str(mask_dir)), 'img_9')
