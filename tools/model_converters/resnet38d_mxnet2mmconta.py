"""Convert the MXNet ImageNet ResNet-38d to a state dict of mmconta's
``ResNet38d``, without MXNet.

PSA/AffinityNet and SEAM start their backbone from
``ilsvrc-cls_rna-a1_cls1000_ep-0001.params`` (itijyou/ademxapp, model A1),
which they convert with ``mxnet.nd.load`` (jiwoon-ahn/psa
``network/resnet38d.py``, ``convert_mxnet_to_torch``). MXNet is no longer
installable, so this script reads MXNet's NDArray list format itself
(:func:`read_mxnet_params`) and renames the parameters as PSA does
(:func:`mxnet_to_resnet38d_key`); ``linear1000_*`` (the ImageNet classifier)
is dropped. The result is checked against ``ResNet38d()``: every parameter
and buffer but ``num_batches_tracked``, with its shape.

The format, as MXNet writes it (``NDArray::Save`` in
``src/ndarray/ndarray.cc``, dmlc-core's serializer; little-endian)::

    uint64 0x112, uint64 0                      list header
    uint64 n, then n arrays                     the values
    uint64 n, then n x (uint64 len, bytes)      the names, 'arg:'/'aux:'...

and each array, by its first uint32:

* 0xF993fac9 (V2, MXNet >= 0.11) or 0xF993faca (V3, NumPy shapes):
  int32 storage type (0 dense), [sparse: storage shape], shape, context,
  int32 dtype, [sparse: aux types and shapes], data;
* 0xF993fac8 (V1): shape, context, int32 dtype, data;
* anything else (before V1): that word is ndim, then ndim uint32 dims,
  context, int32 dtype, data;

a shape (V1-V3) being int32 ndim and ndim int64 dims, a context int32
device type and int32 device id, the data C-ordered. Dense float32,
float64 and float16 arrays are read; an MXNet 2 ``.npz`` (what
``mx.nd.save`` writes there) is read with NumPy.

Example::

    python tools/model_converters/resnet38d_mxnet2mmconta.py \\
        ilsvrc-cls_rna-a1_cls1000_ep-0001.params pretrain/resnet38d_ilsvrc.pth

writes the plain ``{key: tensor}`` dict that the ResNet-38d configs load
(``init_cfg=dict(type='Pretrained',
checkpoint='pretrain/resnet38d_ilsvrc.pth')``). Tensors keep the file's
dtype (the ImageNet model is float32).
"""
import argparse
import hashlib
import os
import os.path as osp
import re
import struct
import sys
import zipfile
from typing import BinaryIO, Dict, List, Optional, Tuple

import numpy as np

LIST_MAGIC = 0x112
NDARRAY_V1_MAGIC = 0xF993FAC8
NDARRAY_V2_MAGIC = 0xF993FAC9
NDARRAY_V3_MAGIC = 0xF993FACA
# mshadow's type flags.
DTYPES = {0: np.dtype('<f4'), 1: np.dtype('<f8'), 2: np.dtype('<f2')}
TYPE_NAMES = {
    0: 'float32', 1: 'float64', 2: 'float16', 3: 'uint8', 4: 'int32',
    5: 'int8', 6: 'int64', 7: 'bool', 8: 'int16', 9: 'uint16',
    10: 'uint32', 11: 'uint64', 12: 'bfloat16'
}
STORAGE_NAMES = {-1: 'undefined', 1: 'row_sparse', 2: 'csr'}
# Context::DeviceType: cpu, gpu, cpu_pinned, cpu_shared.
DEVICE_TYPES = (1, 2, 3, 5)
MAX_NDIM = 32  # a legacy array's first word is its ndim
# itijyou/ademxapp models/checksum.md5.
ADEMXAPP_MD5 = 'ff21f45d6bf03284100dcbec571edfad'

BN_SUFFIXES = {
    'gamma': 'weight',
    'beta': 'bias',
    'moving_mean': 'running_mean',
    'moving_var': 'running_var'
}
_CONV = re.compile(r'res(\d)(a|b(\d+))_(branch[0-9a-z]+)_weight')
_BN = re.compile(r'bn(\d)(a|b(\d+))_(branch[0-9a-z]+)_'
                 r'(gamma|beta|moving_mean|moving_var)')
_BN7 = re.compile(r'bn7_(gamma|beta|moving_mean|moving_var)')
_DROPPED = re.compile(r'linear1000_(weight|bias)')


class _Reader:
    """Reads little-endian fields of a file, failing with the offset."""

    def __init__(self, f: BinaryIO, path: str) -> None:
        self.f = f
        self.path = path
        self.size = os.fstat(f.fileno()).st_size

    @property
    def offset(self) -> int:
        return self.f.tell()

    def error(self, message: str, offset: Optional[int] = None):
        offset = self.offset if offset is None else offset
        return ValueError(f'{self.path}: offset {offset}: {message}')

    def read(self, size: int, what: str) -> bytes:
        offset = self.offset
        data = self.f.read(size)
        if len(data) != size:
            raise self.error(
                f'truncated file: {what} needs {size} bytes, '
                f'{len(data)} left', offset)
        return data

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack('<' + fmt, self.read(struct.calcsize(fmt),
                                                  what))

    def array(self, dtype: np.dtype, count: int, what: str) -> np.ndarray:
        offset = self.offset
        nbytes = dtype.itemsize * count
        if count < 0 or nbytes > self.size - offset:
            raise self.error(
                f'truncated file: {what} needs {nbytes} bytes, '
                f'{self.size - offset} left', offset)
        out = np.empty(count, dtype.newbyteorder('='))
        if count and self.f.readinto(memoryview(out).cast('B')) != nbytes:
            raise self.error(f'truncated file: {what} ended early', offset)
        return out


def _read_shape(reader: _Reader, index: int, magic: int) -> List[int]:
    """A V1-V3 shape (int32 ndim, int64 dims) or a legacy one (ndim given,
    uint32 dims)."""
    what = f'the shape of array #{index}'
    if magic in (NDARRAY_V1_MAGIC, NDARRAY_V2_MAGIC, NDARRAY_V3_MAGIC):
        offset = reader.offset
        ndim, = reader.unpack('i', what)
        if ndim < -1 or ndim > MAX_NDIM:
            raise reader.error(f'array #{index} has ndim {ndim}', offset)
        dims = reader.unpack(f'{max(ndim, 0)}q', what)
        if ndim == -1 or any(d < 0 for d in dims):
            raise reader.error(
                f'array #{index} has an unknown shape {list(dims)} '
                f'(ndim {ndim})', offset)
        return list(dims)
    return list(reader.unpack(f'{magic}I', what))


def _read_ndarray(reader: _Reader, index: int) -> Optional[np.ndarray]:
    """One array of the list (``NDArray::Load``), None for an empty one."""
    start = reader.offset
    magic, = reader.unpack('I', f'the magic of array #{index}')
    if magic in (NDARRAY_V2_MAGIC, NDARRAY_V3_MAGIC):
        stype, = reader.unpack('i', f'the storage type of array #{index}')
        if stype != 0:
            raise reader.error(
                f'array #{index} has {STORAGE_NAMES.get(stype, stype)} '
                'storage; only dense (default) arrays are supported', start)
    elif magic != NDARRAY_V1_MAGIC and magic > MAX_NDIM:
        raise reader.error(
            f'bad magic 0x{magic:08x} at array #{index}: not an MXNet '
            'NDArray (V1 0xf993fac8, V2 0xf993fac9, V3 0xf993faca, or a '
            f'legacy ndim <= {MAX_NDIM})', start)
    shape = _read_shape(reader, index, magic)
    # NDArray::Save stops after the shape of a none array: ndim 0, or
    # ndim -1 with NumPy shapes (V3, where ndim 0 is a scalar).
    if magic != NDARRAY_V3_MAGIC and not shape:
        return None
    offset = reader.offset
    dev_type, _ = reader.unpack('ii', f'the context of array #{index}')
    if dev_type not in DEVICE_TYPES:
        raise reader.error(
            f'array #{index} has device type {dev_type}, not one of '
            f'{DEVICE_TYPES}: corrupt file or not an MXNet array', offset)
    offset = reader.offset
    type_flag, = reader.unpack('i', f'the dtype of array #{index}')
    if type_flag not in DTYPES:
        raise reader.error(
            f'array #{index} has dtype '
            f'{TYPE_NAMES.get(type_flag, type_flag)}; supported: float32, '
            'float64, float16', offset)
    count = int(np.prod(shape, dtype=np.int64))
    data = reader.array(DTYPES[type_flag], count,
                        f'the data of array #{index} {tuple(shape)}')
    return data.reshape(tuple(shape))


def _read_npz(path: str) -> Dict[str, np.ndarray]:
    """An MXNet 2 ``.npz`` of named dense arrays."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            sparse = [k for k in npz.files if '/' in k]
            if sparse:
                raise ValueError(
                    f'{path}: sparse arrays ({", ".join(sparse[:5])}); only '
                    'dense arrays are supported')
            return {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(f'{path}: unreadable .npz archive: {e}') from e


def read_mxnet_params(path: str) -> Dict[str, np.ndarray]:
    """Read an MXNet ``.params`` file (``mx.nd.save`` of a dict) with NumPy.

    Args:
        path (str): The file: an NDArray list (MXNet 0.x and 1.x, any
            array version) or an MXNet 2 ``.npz``.

    Returns:
        dict[str, np.ndarray]: Arrays by name, in file order, names as
        stored (``arg:``/``aux:`` prefixes kept).

    Raises:
        ValueError: Naming the file and the offset, for anything but a
            well-formed list of named dense float arrays.
    """
    with open(path, 'rb') as f:
        head = f.read(4)
        if head == b'PK\x03\x04':
            return _read_npz(path)
        f.seek(0)
        reader = _Reader(f, path)
        header, _ = reader.unpack('QQ', 'the list header')
        if header != LIST_MAGIC:
            raise reader.error(
                f'bad magic 0x{header:x}: not an MXNet NDArray list file '
                f'(expected 0x{LIST_MAGIC:x})', 0)
        num, = reader.unpack('Q', 'the number of arrays')
        if num > reader.size:
            raise reader.error(f'implausible number of arrays {num}', 16)
        arrays = [_read_ndarray(reader, i) for i in range(num)]
        offset = reader.offset
        num_names, = reader.unpack('Q', 'the number of names')
        if num_names != num:
            raise reader.error(
                f'{num_names} names for {num} arrays (an unnamed list is '
                'no parameter file)', offset)
        names = []
        for i in range(num_names):
            length, = reader.unpack('Q', f'the length of name #{i}')
            if length > reader.size:
                raise reader.error(f'implausible name length {length}')
            raw = reader.read(length, f'name #{i}')
            try:
                names.append(raw.decode('utf-8'))
            except UnicodeDecodeError as e:
                raise reader.error(f'name #{i} is not UTF-8: {e}') from e
        if reader.offset != reader.size:
            raise reader.error(
                f'{reader.size - reader.offset} unexpected bytes after the '
                'names')
    if len(set(names)) != len(names):
        raise ValueError(f'{path}: duplicate names')
    empty = [n for n, a in zip(names, arrays) if a is None]
    if empty:
        raise ValueError(f'{path}: empty (none) arrays: {", ".join(empty)}')
    return dict(zip(names, arrays))


def mxnet_to_resnet38d_key(name: str) -> Optional[str]:
    """The ``ResNet38d`` key of an MXNet parameter name, as PSA's
    ``convert_mxnet_to_torch`` renames it.

    ``conv1a_weight`` -> ``conv1a.weight``; ``res{s}a_{branch}_weight`` ->
    ``b{s}.conv_{branch}.weight``, ``res{s}b{k}_...`` -> ``b{s}_{k}...``;
    ``bn{s}a_{branch}_{gamma,beta,moving_mean,moving_var}`` ->
    ``b{s}.bn_{branch}.{weight,bias,running_mean,running_var}`` (``b{k}``
    likewise); ``bn7_*`` -> ``bn7.*``. An ``arg:`` or ``aux:`` prefix is
    ignored.

    Returns:
        str | None: The key, or None for the dropped ImageNet classifier
        ``linear1000_{weight,bias}``.

    Raises:
        ValueError: For a name of no ResNet-38d parameter pattern.
    """
    bare = name.split(':', 1)[1] if name.startswith(('arg:', 'aux:')) \
        else name
    if bare == 'conv1a_weight':
        return 'conv1a.weight'
    if _DROPPED.fullmatch(bare):
        return None
    match = _CONV.fullmatch(bare)
    if match:
        stage, _, block, branch = match.groups()
        block_name = f'b{stage}' + (f'_{block}' if block else '')
        return f'{block_name}.conv_{branch}.weight'
    match = _BN.fullmatch(bare)
    if match:
        stage, _, block, branch, suffix = match.groups()
        block_name = f'b{stage}' + (f'_{block}' if block else '')
        return f'{block_name}.bn_{branch}.{BN_SUFFIXES[suffix]}'
    match = _BN7.fullmatch(bare)
    if match:
        return f'bn7.{BN_SUFFIXES[match.group(1)]}'
    raise ValueError(f'MXNet parameter {name!r} matches no ResNet-38d '
                     'parameter name pattern')


def resnet38d_shapes() -> Dict[str, Tuple[int, ...]]:
    """Shapes of ``ResNet38d()``'s parameters and buffers but
    ``num_batches_tracked`` (built on the meta device: no memory)."""
    import torch

    from mmconta.models.backbones import ResNet38d
    with torch.device('meta'):
        model = ResNet38d()
    return {
        k: tuple(v.shape)
        for k, v in model.state_dict().items()
        if not k.endswith('num_batches_tracked')
    }


def convert(params: Dict[str, np.ndarray],
            shapes: Dict[str, Tuple[int, ...]],
            src: str = 'the file') -> Tuple[Dict[str, np.ndarray], List[str]]:
    """Rename ``params`` to ``ResNet38d``'s keys and check them.

    Args:
        params (dict): MXNet arrays by name (:func:`read_mxnet_params`).
        shapes (dict): The expected keys and shapes
            (:func:`resnet38d_shapes`).
        src (str): The file's name, for the errors.

    Returns:
        tuple[dict, list[str]]: The arrays by ``ResNet38d`` key, and the
        MXNet names dropped.

    Raises:
        ValueError: An MXNet name maps to no ``ResNet38d`` key, two map to
            one, a key is missing or a shape differs.
    """
    out, dropped, unknown, errors = {}, [], [], []
    for name, value in params.items():
        try:
            key = mxnet_to_resnet38d_key(name)
        except ValueError:
            unknown.append(name)
            continue
        if key is None:
            dropped.append(name)
        elif key not in shapes:
            unknown.append(f'{name} (-> {key})')
        elif key in out:
            errors.append(f'{name} maps to {key} a second time')
        elif tuple(value.shape) != shapes[key]:
            errors.append(f'{name} -> {key}: shape {tuple(value.shape)}, '
                          f'ResNet38d has {shapes[key]}')
        else:
            out[key] = value
    if unknown:
        errors.insert(0, f'{len(unknown)} MXNet keys match no ResNet38d '
                      f'parameter: {", ".join(unknown)}')
    missing = [k for k in shapes if k not in out]
    if missing:
        errors.append(f'{len(missing)} ResNet38d keys have no MXNet '
                      f'parameter: {", ".join(missing)}')
    if errors:
        raise ValueError(f'{src}: ' + '; '.join(errors))
    return out, dropped


def md5sum(path: str) -> str:
    digest = hashlib.md5()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 24), b''):
            digest.update(chunk)
    return digest.hexdigest()


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert the MXNet ImageNet ResNet-38d (itijyou/ademxapp '
        'ilsvrc-cls_rna-a1_cls1000_ep-0001.params) to a state dict of '
        "mmconta's ResNet38d, without MXNet (PSA's convert_mxnet_to_torch "
        'key mapping; linear1000_* dropped).')
    parser.add_argument('src', help='the MXNet .params file')
    parser.add_argument(
        'dst', help='the output .pth: a plain {key: tensor} dict, e.g. '
        'pretrain/resnet38d_ilsvrc.pth as the ResNet-38d configs expect')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    params = read_mxnet_params(args.src)
    arrays, dropped = convert(params, resnet38d_shapes(), args.src)
    state_dict = {k: torch.from_numpy(v) for k, v in arrays.items()}
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(state_dict, args.dst)
    dtypes = sorted({str(v.dtype) for v in arrays.values()})
    print(f'converted {len(state_dict)} tensors ({", ".join(dtypes)}) to '
          f'{args.dst}; dropped {len(dropped)}: {", ".join(dropped)}')
    if md5sum(args.src) == ADEMXAPP_MD5:
        print('the source is ademxapp\'s ilsvrc-cls_rna-a1_cls1000_ep-0001'
              '.params (md5 matches)')
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (ValueError, OSError) as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(1)
