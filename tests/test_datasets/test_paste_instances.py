"""CDA's instance bank and paste: the bank keeps simple images only, a
pasted copy carries the pasted class and the original pixels elsewhere,
and the pair reaches the batch."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mmconta.datasets import flatten_pairs_collate
from mmconta.datasets.instance_bank import (cut_instance, read_index,
                                            write_index, write_instances)
from mmconta.registry import TRANSFORMS
from tiny_data import write_image, write_mask

CLASSES = ('background', 'cat', 'dog', 'cow')


def test_the_bank_keeps_one_class_covering_a_tenth_to_seven_tenths():
    img = np.arange(10 * 10 * 3, dtype=np.uint8).reshape(10, 10, 3)
    mask = np.zeros((10, 10), np.uint8)
    mask[2:5, 3:8] = 2  # 15 %
    class_id, crop, crop_mask = cut_instance(img, mask, 0.1, 0.7)
    assert class_id == 2 and crop.shape == (3, 5, 3) and crop_mask.all()
    np.testing.assert_array_equal(crop, img[2:5, 3:8])
    mask[5, 5] = 255  # unsure pixels are not a class
    assert cut_instance(img, mask, 0.1, 0.7)[0] == 2
    two = mask.copy()
    two[8, 8] = 1
    assert cut_instance(img, two, 0.1, 0.7) is None
    small = np.zeros((10, 10), np.uint8)
    small[0, :9] = 1  # 9 %
    assert cut_instance(img, small, 0.1, 0.7) is None
    large = np.ones((10, 10), np.uint8)
    large[:, :2] = 0  # 80 %
    assert cut_instance(img, large, 0.1, 0.7) is None


@pytest.fixture
def bank_source(tmp_path):
    rng = np.random.default_rng(0)
    images = []
    for i in range(6):
        write_image(tmp_path / f'img/{i}.png', rng, size=(12, 12))
        mask = np.zeros((12, 12), np.uint8)
        mask[2:8, 2:8] = i % 3 + 1  # 25 %, one class
        if i == 5:
            mask[10, 10] = 1  # two classes: not simple
        write_mask(tmp_path / f'masks/{i}.png', mask)
        images.append((str(i), str(tmp_path / f'img/{i}.png')))
    return tmp_path, images


def bank_files(folder):
    return {p.relative_to(folder).as_posix(): np.load(p)['img'].tobytes()
            for p in sorted(folder.rglob('*.npz'))}


def test_the_bank_does_not_depend_on_the_process_count(bank_source):
    root, images = bank_source
    one, two = root / 'one', root / 'two'
    assert write_instances(images, str(root / 'masks'), str(one),
                           CLASSES) == 5
    for rank in (0, 1):
        write_instances(images, str(root / 'masks'), str(two), CLASSES,
                        rank=rank, world_size=2)
    assert write_index(str(one), CLASSES) == write_index(str(two), CLASSES) \
        == {'cat': 2, 'dog': 2, 'cow': 1}
    assert bank_files(one) == bank_files(two)
    assert read_index(str(one))['dog'] == ['dog/1.npz', 'dog/4.npz']
    # A rerun keeps the files a killed run wrote.
    assert write_instances(images, str(root / 'masks'), str(one),
                           CLASSES) == 5


def paste(bank_dir, **kwargs):
    init_default_scope('mmconta')
    return TRANSFORMS.build(dict(
        type='PasteInstances', max_rotation=0,
        pipeline=[dict(type='PackWSSSInputs')], **kwargs))


def sample(bank_dir=None):
    img = np.full((20, 20, 3), 7, np.uint8)
    results = dict(img=img, img_shape=(20, 20), ori_shape=(20, 20),
                   img_path='x.png', img_id='x',
                   img_labels=np.array([1, 0, 0], np.float32),
                   gt_seg_map=np.zeros((20, 20), np.uint8),
                   seg_fields=['gt_seg_map'])
    if bank_dir:
        results['instance_dir'] = str(bank_dir)
    return results


def test_a_pasted_copy_carries_its_class_and_the_original_elsewhere(
        bank_source):
    root, images = bank_source
    bank = root / 'bank'
    # Only dogs in the bank: the image shows a cat, so a dog is pasted.
    write_instances(images[1:2], str(root / 'masks'), str(bank), CLASSES)
    write_index(str(bank), CLASSES)
    np.random.seed(0)
    out = paste(bank)(sample(bank))
    original, pasted = out['data_samples']
    assert original.gt_img_labels.tolist() == [1, 0, 0]
    assert pasted.gt_img_labels.tolist() == [1, 1, 0]
    before, after = (x.numpy() for x in out['inputs'])
    changed = (before != after).any(0)
    seg = pasted.gt_sem_seg.data[0].numpy()
    # The pasted pixels are the dog's in the mask, and nothing else moved.
    assert changed.any() and (seg[changed] == 2).all()
    assert (after[:, seg == 0] == 7).all()
    assert (original.gt_sem_seg.data == 0).all()


def test_without_a_bank_the_pipeline_runs_once():
    out = paste(None)(sample())
    assert isinstance(out['inputs'], torch.Tensor)
    assert out['data_samples'].gt_img_labels.tolist() == [1, 0, 0]


def test_the_pair_is_in_the_batch(bank_source):
    root, images = bank_source
    bank = root / 'bank'
    write_instances(images, str(root / 'masks'), str(bank), CLASSES)
    write_index(str(bank), CLASSES)
    transform = paste(bank)
    batch = flatten_pairs_collate(
        [transform(sample(bank)), paste(None)(sample())])
    assert len(batch['inputs']) == len(batch['data_samples']) == 3
    labels = [s.gt_img_labels.tolist() for s in batch['data_samples']]
    assert labels[0] == labels[2] == [1, 0, 0]
    assert labels[1][0] == 1 and sum(labels[1]) == 2


def test_bad_paste_options():
    for kwargs, match in ((dict(num_instances=0), 'num_instances'),
                          (dict(max_size=1.5), 'max_size'),
                          (dict(prob=2), 'prob')):
        with pytest.raises(ValueError, match=match):
            paste(None, **kwargs)
