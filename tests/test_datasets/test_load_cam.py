"""LoadCAM: a CAM run's files into a refiner's test pipeline."""
import numpy as np
import pytest
import torch

from mmconta.datasets.transforms import LoadCAM, PackWSSSInputs


def write_cam(folder, img_id, keys, size, high_res=True):
    cam = np.random.default_rng(0).random(
        (len(keys), (size[0] + 3) // 4, (size[1] + 3) // 4), np.float32)
    arrays = dict(keys=np.asarray(keys, np.int64), cam=cam,
                  classes=np.asarray(['bg', 'a', 'b', 'c']))
    if high_res:
        arrays['high_res'] = np.random.default_rng(1).random(
            (len(keys), *size), np.float32)
    np.savez(folder / f'{img_id}.npz', **arrays)
    return arrays


def results(folder, img_id='img', size=(10, 12), labels=(0, 1, 1)):
    return dict(img=np.zeros((*size, 3), np.uint8), img_id=img_id,
                img_path=f'{img_id}.png', ori_shape=size,
                cam_path=str(folder / f'{img_id}.npz'),
                img_labels=np.asarray(labels, np.float32))


def test_loads_high_res_and_packs_it(tmp_path):
    arrays = write_cam(tmp_path, 'img', [1, 2], (10, 12))
    out = LoadCAM()(results(tmp_path))
    np.testing.assert_array_equal(out['cam'], arrays['high_res'])
    np.testing.assert_array_equal(out['cam_keys'], [1, 2])
    sample = PackWSSSInputs()(out)['data_samples']
    assert sample.cam.data.shape == (2, 10, 12)
    assert sample.cam_keys.tolist() == [1, 2]


def test_without_high_res_the_stride4_cam_is_upsampled(tmp_path):
    write_cam(tmp_path, 'img', [1, 2], (10, 12), high_res=False)
    out = LoadCAM()(results(tmp_path))
    assert out['cam'].shape == (2, 10, 12)
    assert torch.from_numpy(out['cam']).isfinite().all()


def test_bad_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='img.npz'):
        LoadCAM()(results(tmp_path))
    write_cam(tmp_path, 'img', [1, 2], (10, 12))
    with pytest.raises(ValueError, match='does not fit image'):
        LoadCAM()(results(tmp_path, size=(12, 12)))
    with pytest.raises(ValueError, match='labelled'):
        LoadCAM()(results(tmp_path, labels=(1, 1, 0)))


def test_without_a_cam_path_the_dataset_option_is_named(tmp_path):
    data = results(tmp_path)
    del data['cam_path']
    with pytest.raises(KeyError, match="dataset's cam_dir"):
        LoadCAM()(data)
