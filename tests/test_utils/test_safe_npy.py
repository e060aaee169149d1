"""load_label_table: IRN's pickled cls_labels.npy, read without running code
from it."""
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmconta.utils import load_label_table


def save_object(path, obj):
    array = np.empty((), dtype=object)
    array[()] = obj
    np.save(path, array, allow_pickle=True)


def test_irn_table_round_trips(tmp_path):
    table = {2007000032: np.array([0, 1, 0], np.float32),
             '2008_000002': [1.0, 0.0, 1.0], 'scalar_list': [np.float32(1)]}
    save_object(tmp_path / 'cls_labels.npy', table)
    loaded = load_label_table(str(tmp_path / 'cls_labels.npy'))
    assert set(loaded) == set(table)
    np.testing.assert_array_equal(loaded[2007000032], [0, 1, 0])
    np.testing.assert_array_equal(loaded['2008_000002'], [1, 0, 1])


class RunsACommand:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def test_a_pickle_that_calls_code_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / 'ran'
    path = tmp_path / 'cls_labels.npy'
    save_object(path, {'2007_000032': RunsACommand(marker)})
    with pytest.raises(pickle.UnpicklingError,
                       match=r'refused to load (posix|os)\.system'):
        load_label_table(str(path))
    assert not marker.exists()


@pytest.mark.parametrize('obj, message', [
    ([1, 2], 'holds a list, not a dict'),
    ({(1, 2): [0, 1]}, 'is a tuple, not an int or str'),
    ({'a': ['x', 'y']}, 'not a numeric vector'),
    ({'a': np.zeros((2, 2))}, 'not a numeric vector'),
])
def test_other_shapes_are_refused(tmp_path, obj, message):
    save_object(tmp_path / 'bad.npy', obj)
    with pytest.raises(ValueError, match=message):
        load_label_table(str(tmp_path / 'bad.npy'))


def test_a_plain_array_or_other_file_is_named(tmp_path):
    np.save(tmp_path / 'plain.npy', np.zeros(3))
    with pytest.raises(ValueError, match='not a pickled dict'):
        load_label_table(str(tmp_path / 'plain.npy'))
    (tmp_path / 'text.npy').write_text('2007_000032 cat\n')
    with pytest.raises(ValueError, match='is not a .npy file'):
        load_label_table(str(tmp_path / 'text.npy'))
    with pytest.raises(FileNotFoundError, match='missing.npy'):
        load_label_table(str(tmp_path / 'missing.npy'))


CONVERTER = Path(__file__).parents[2] / 'tools/dataset_converters/' \
    'cls_labels_to_json.py'


def test_converter_writes_class_names_per_image(tmp_path):
    vector = np.zeros(20, np.float32)
    vector[[0, 14]] = 1  # aeroplane, person
    save_object(tmp_path / 'cls_labels.npy', {2007000032: vector})
    subprocess.run([sys.executable, str(CONVERTER),
                    str(tmp_path / 'cls_labels.npy'),
                    str(tmp_path / 'labels.json')], check=True)
    labels = json.loads((tmp_path / 'labels.json').read_text())
    assert labels == {'2007_000032': ['aeroplane', 'person']}
