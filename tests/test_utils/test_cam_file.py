"""The CAM file format: round trip, and every refusal names the file."""
import numpy as np
import pytest
import torch

from mmconta.utils import (cam_file_path, load_cam_file, save_cam_file,
                           upsample_cam)

CLASSES = ('background', 'a', 'b', 'c')
SIZE = (10, 13)


def arrays(num_keys=2, size=SIZE):
    rng = np.random.default_rng(0)
    strided = ((size[0] + 3) // 4, (size[1] + 3) // 4)
    return dict(
        keys=np.arange(num_keys, dtype=np.int64),
        cam=rng.random((num_keys, *strided), np.float32),
        high_res=rng.random((num_keys, *size), np.float32),
        classes=np.asarray(CLASSES))


def test_round_trip(tmp_path):
    path = cam_file_path(str(tmp_path), 'img_0')
    assert path == str(tmp_path / 'img_0.npz')
    data = arrays()
    save_cam_file(path, data['keys'], data['cam'], CLASSES, data['high_res'])
    assert [p.name for p in tmp_path.iterdir()] == ['img_0.npz']
    with np.load(path) as raw:
        assert raw.files == ['keys', 'cam', 'classes', 'high_res']
    cam_file = load_cam_file(path, CLASSES, data['keys'], SIZE,
                             require_high_res=True)
    for name in ('keys', 'cam', 'high_res'):
        np.testing.assert_array_equal(getattr(cam_file, name), data[name])
    assert cam_file.keys.dtype == np.int64
    assert cam_file.cam.dtype == cam_file.high_res.dtype == np.float32
    assert cam_file.classes == CLASSES


def test_without_high_res_the_cam_stands_for_it(tmp_path):
    path = str(tmp_path / 'img.npz')
    data = arrays()
    # Other integer and float types are written as the format's.
    save_cam_file(path, np.array([0, 1], np.int32),
                  data['cam'].astype(np.float64), list(CLASSES))
    cam_file = load_cam_file(path, CLASSES, np.array([0, 1]), SIZE)
    assert cam_file.high_res is None
    assert cam_file.keys.dtype == np.int64
    assert cam_file.cam.dtype == np.float32
    full = upsample_cam(torch.from_numpy(cam_file.cam), SIZE)
    assert full.shape == (2, *SIZE)


def test_no_classes_is_an_empty_file_that_reads_back(tmp_path):
    path = str(tmp_path / 'img.npz')
    data = arrays(num_keys=0)
    save_cam_file(path, data['keys'], data['cam'], CLASSES, data['high_res'])
    cam_file = load_cam_file(path, CLASSES, np.zeros(0, np.int64), SIZE)
    assert cam_file.cam.shape == (0, 3, 4)


def corrupt(path, **changes):
    data = {k: v for k, v in dict(arrays(), **changes).items()
            if v is not None}
    np.savez(path, **data)


# name -> (how to spoil the file, load_cam_file's arguments, message).
BAD_FILES = {
    'not an archive': (lambda p: open(p, 'wb').write(b'half'), {},
                       'not a readable CAM file'),
    'pickled': (lambda p: corrupt(p, keys=np.array([0, None])), {},
                'not a readable CAM file'),
    'no cam': (lambda p: corrupt(p, cam=None), {}, r"lacks \['cam'\]"),
    'no classes': (lambda p: corrupt(p, classes=None), {}, 'lacks'),
    'no high_res': (lambda p: corrupt(p, high_res=None),
                    dict(require_high_res=True), 'has no high_res'),
    'float keys': (lambda p: corrupt(p, keys=np.array([0.0, 1.0])), {},
                   'keys must be 1-D integers'),
    'int classes': (lambda p: corrupt(p, classes=np.arange(4)), {},
                    'classes must be 1-D strings'),
    'background key': (lambda p: corrupt(p, keys=np.array([0, 3])), {},
                       'not distinct foreground class indices'),
    'repeated key': (lambda p: corrupt(p, keys=np.array([1, 1])), {},
                     'not distinct foreground class indices'),
    'int cam': (lambda p: corrupt(p, cam=np.zeros((2, 3, 4), np.int64)), {},
                'cam must be floats'),
    '2-d high_res': (lambda p: corrupt(p, high_res=np.zeros((2, 10))), {},
                     'high_res must be floats'),
    'cam per key': (lambda p: corrupt(p, cam=np.zeros((3, 3, 4))), {},
                    'cam has 3 class maps for 2 keys'),
    'cam off stride': (lambda p: corrupt(p, cam=np.zeros((2, 5, 7))), {},
                       'not the stride-4 size'),
    'other classes': (lambda p: corrupt(p), dict(
        expected_classes=('background', 'x', 'y', 'z')),
                      'was made for classes'),
    'other labels': (lambda p: corrupt(p), dict(expected_keys=[1, 2]),
                     'labelled'),
    'other size': (lambda p: corrupt(p), dict(image_size=(12, 13)),
                   'high_res of shape .* does not fit image'),
    'other size, stride 4 only': (
        lambda p: corrupt(p, high_res=None), dict(image_size=(20, 13)),
        'cam of shape .* does not fit image'),
}


@pytest.mark.parametrize('case', sorted(BAD_FILES))
def test_refusals_name_the_file(case, tmp_path):
    spoil, kwargs, message = BAD_FILES[case]
    path = str(tmp_path / 'img_7.npz')
    spoil(path)
    with pytest.raises(ValueError, match=message) as error:
        load_cam_file(path, **kwargs)
    assert str(error.value).startswith(path)


def test_a_missing_file_is_named(tmp_path):
    path = str(tmp_path / 'img_7.npz')
    with pytest.raises(FileNotFoundError, match='img_7.npz'):
        load_cam_file(path)


def test_save_refuses_what_load_would_and_writes_nothing(tmp_path):
    path = str(tmp_path / 'img_7.npz')
    data = arrays()
    with pytest.raises(ValueError, match='cam has 1 class maps') as error:
        save_cam_file(path, data['keys'], data['cam'][:1], CLASSES)
    assert str(error.value).startswith(path)
    with pytest.raises(ValueError, match='not distinct foreground'):
        save_cam_file(path, [0, 5], data['cam'], CLASSES)
    assert not list(tmp_path.iterdir())
