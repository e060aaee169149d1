"""Reading pickled ``.npy`` label tables without running their code.

IRN's ``cls_labels.npy`` is a dict pickled inside a 0-d object array, and
``np.load(..., allow_pickle=True)`` runs whatever callable the pickle
names. :func:`load_label_table` unpickles with an allow-list of numpy's
array-rebuilding globals only and then checks the shape of what it got: a
dict of int or str keys to numeric arrays or lists of numbers.
"""
import os.path as osp
import pickle
from typing import Dict, Union

import numpy as np

# What numpy 1.x (numpy.core) and 2.x (numpy._core) name when they pickle
# arrays and scalars; none of them calls anything else.
_ALLOWED_GLOBALS = frozenset(
    [(module, name) for module in ('numpy.core.multiarray',
                                   'numpy._core.multiarray')
     for name in ('_reconstruct', 'scalar')]
    + [('numpy', 'ndarray'), ('numpy', 'dtype')])


class _LabelTableUnpickler(pickle.Unpickler):

    def __init__(self, file, path: str) -> None:
        super().__init__(file)
        self.path = path

    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f'{self.path}: refused to load {module}.{name}: a label '
                'table holds only numpy arrays, numbers and strings')
        return super().find_class(module, name)


def load_label_table(path: str) -> Dict[Union[int, str], np.ndarray]:
    """Load a pickled ``.npy`` dict of image key -> numeric vector.

    Args:
        path (str): The ``.npy`` file (IRN's ``cls_labels.npy`` format).

    Returns:
        dict: Keys (int or str) to 1-d arrays of the stored values.

    Raises:
        FileNotFoundError: ``path`` is not a file.
        pickle.UnpicklingError: The pickle names a global outside numpy's
            array rebuilding (named in the message); nothing is called.
        ValueError: The file is not a dict of int/str keys to numeric
            arrays or lists.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'class label file not found: {path}')
    with open(path, 'rb') as f:
        try:
            version = np.lib.format.read_magic(f)
            shape, _, dtype = _read_header(f, version)
        except ValueError as error:
            raise ValueError(f'{path} is not a .npy file: {error}') from error
        if not (dtype.hasobject and shape == ()):
            raise ValueError(
                f'{path} holds a {dtype} array of shape {shape}, not a '
                'pickled dict of image labels')
        table = _LabelTableUnpickler(f, path).load()
    if isinstance(table, np.ndarray) and table.shape == ():
        table = table.item()
    if not isinstance(table, dict):
        raise ValueError(f'{path} holds a {type(table).__name__}, not a '
                         'dict of image labels')
    checked = {}
    for key, value in table.items():
        if not isinstance(key, (int, str, np.integer)):
            raise ValueError(f'{path}: key {key!r} is a '
                             f'{type(key).__name__}, not an int or str')
        vector = np.asarray(value)
        if vector.dtype.kind not in 'biuf' or vector.ndim > 1:
            raise ValueError(
                f'{path}: the value of {key!r} is not a numeric vector '
                f'({vector.dtype}, shape {vector.shape})')
        checked[int(key) if isinstance(key, np.integer) else key] = vector
    return checked


def _read_header(f, version: tuple) -> tuple:
    """(shape, fortran_order, dtype) of a .npy header."""
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(f)
    raise ValueError(f'unsupported .npy format version {version}')
