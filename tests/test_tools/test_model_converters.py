"""The pretrained-weight converters of tools/model_converters/.

``resnet38d_mxnet2mmconta.py`` reads MXNet's NDArray list format itself.
The files here come from a writer of that format written in this test from
MXNet's source (``NDArray::Save`` and ``NDArray::LegacyLoad`` in
``src/ndarray/ndarray.cc``, dmlc-core's vector and string serializers), not
from the reader, and the MXNet names from ademxapp's symbol code
(``util/symbol/resnet_v2.py``: ``res{unit}_{branch}_weight``,
``bn{unit}_{branch}_{gamma,beta,moving_mean,moving_var}``, ``bn7``,
``linear1000``).

Sizes: the real ResNet-38d holds 105 M values, 420 MB at float32. The name
mapping over the whole key set, every format version and dtype, is checked
through the reader functions with 2-element arrays; one CLI run converts a
full-size float16 file (210 MB in, 210 MB out, a few seconds), whose keys
and shapes a meta-device ``ResNet38d`` then loads strictly, and whose
values come back exactly.

``wsss2mmconta.py``: for each source, an upstream state dict is made up
from the mmconta model (built from its config) by the inverse renaming,
written here from the upstream code (jiwoon-ahn/irn ``net/resnet50_cam.py``
and ``net/resnet50_irn.py``, YudeWang/SEAM ``network/resnet38_SEAM.py``,
jiwoon-ahn/psa ``network/resnet38_cls.py`` and ``resnet38_aff.py``), with
the alias keys those modules' ``state_dict`` holds; the converted
checkpoint must load strictly with mmengine and hold the same tensors.
"""
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmconta.models.backbones import ResNet38d
from mmconta.registry import MODELS
from mmconta.utils import drop_pretrained, register_all_modules, safe_loading

REPO = Path(__file__).parents[2]
CONVERTERS = REPO / 'tools/model_converters'
sys.path.insert(0, str(CONVERTERS))
import resnet38d_mxnet2mmconta as mx2mm  # noqa: E402
import wsss2mmconta  # noqa: E402

# ---------------------------------------------------------------- MXNet

V1, V2, V3 = 0xF993FAC8, 0xF993FAC9, 0xF993FACA
TYPE_FLAGS = {np.dtype(np.float32): 0, np.dtype(np.float64): 1,
              np.dtype(np.float16): 2, np.dtype(np.int32): 4}


def _shape(shape, version):
    if version == 'legacy':  # the first word is ndim; uint32 dims
        return struct.pack(f'<I{len(shape)}I', len(shape), *shape)
    return struct.pack(f'<i{len(shape)}q', len(shape), *shape)


def encode_ndarray(array: np.ndarray, version: str = 'v2',
                   device=(1, 0), stype: int = 0) -> bytes:
    """``NDArray::Save`` of a dense array, in the given array version."""
    array = np.asarray(array)  # tobytes() is C-ordered
    head = {'legacy': b'', 'v1': struct.pack('<I', V1),
            'v2': struct.pack('<Ii', V2, stype),
            'v3': struct.pack('<Ii', V3, stype)}[version]
    return (head + _shape(array.shape, version) +
            struct.pack('<iii', *device, TYPE_FLAGS[array.dtype]) +
            array.astype(array.dtype.newbyteorder('<')).tobytes())


def write_params(path: Path, arrays, version: str = 'v2') -> Path:
    """``mx.nd.save(path, dict)``: list header, arrays, names."""
    with open(path, 'wb') as f:
        f.write(struct.pack('<QQQ', 0x112, 0, len(arrays)))
        for value in arrays.values():
            f.write(value if isinstance(value, bytes) else encode_ndarray(
                value, version))
        f.write(struct.pack('<Q', len(arrays)))
        for name in arrays:
            f.write(struct.pack('<Q', len(name.encode())) + name.encode())
    return path


def mxnet_name(key: str) -> str:
    """ademxapp's name of a ResNet38d key (e.g. ``b4_5.bn_branch2a.weight``
    -> ``arg:bn4b5_branch2a_gamma``)."""
    suffix = dict(weight='gamma', bias='beta', running_mean='moving_mean',
                  running_var='moving_var')
    if key == 'conv1a.weight':
        return 'arg:conv1a_weight'
    parts = key.split('.')
    kind = 'aux' if parts[-1].startswith('running') else 'arg'
    if parts[0] == 'bn7':
        return f'{kind}:bn7_{suffix[parts[1]]}'
    block, layer, param = parts
    stage, _, k = block[1:].partition('_')
    unit = f'{stage}b{k}' if k else f'{stage}a'
    layer_type, branch = layer.split('_', 1)
    if layer_type == 'conv':
        return f'arg:res{unit}_{branch}_weight'
    return f'{kind}:bn{unit}_{branch}_{suffix[param]}'


@pytest.fixture(scope='module')
def r38_shapes():
    with torch.device('meta'):
        sd = ResNet38d().state_dict()
    return {k: tuple(v.shape) for k, v in sd.items()
            if not k.endswith('num_batches_tracked')}


def test_mxnet_names_cover_resnet38d(r38_shapes):
    names = {mxnet_name(k): k for k in r38_shapes}
    assert len(names) == len(r38_shapes) == 191
    for name, key in names.items():
        assert mx2mm.mxnet_to_resnet38d_key(name) == key
        assert mx2mm.mxnet_to_resnet38d_key(name.split(':')[1]) == key
    for name in ('arg:linear1000_weight', 'arg:linear1000_bias'):
        assert mx2mm.mxnet_to_resnet38d_key(name) is None
    # As PSA's char indexing does: res4b5 -> b4_5, bn5a -> b5.
    assert mx2mm.mxnet_to_resnet38d_key('arg:res4b5_branch2b1_weight') == \
        'b4_5.conv_branch2b1.weight'
    assert mx2mm.mxnet_to_resnet38d_key('aux:bn5a_branch2a_moving_var') == \
        'b5.bn_branch2a.running_var'


@pytest.mark.parametrize('version', ['legacy', 'v1', 'v2', 'v3'])
@pytest.mark.parametrize('dtype', [np.float32, np.float16, np.float64])
def test_reader_full_key_set_tiny_arrays(tmp_path, r38_shapes, version,
                                         dtype):
    """All 193 names, 2-element arrays of distinct values, any version."""
    arrays = {mxnet_name(k): np.array([i, -i - 0.5], dtype)
              for i, k in enumerate(r38_shapes)}
    arrays['arg:linear1000_weight'] = np.ones((3, 2), dtype)
    arrays['arg:linear1000_bias'] = np.zeros(3, dtype)
    path = write_params(tmp_path / 'tiny.params', arrays, version)
    read = mx2mm.read_mxnet_params(str(path))
    assert list(read) == list(arrays)
    for name, value in arrays.items():
        assert read[name].dtype == dtype
        np.testing.assert_array_equal(read[name], value)
    tiny = {mx2mm.mxnet_to_resnet38d_key(mxnet_name(k)): (2, )
            for k in r38_shapes}
    out, dropped = mx2mm.convert(read, tiny)
    assert sorted(dropped) == ['arg:linear1000_bias',
                               'arg:linear1000_weight']
    assert set(out) == set(r38_shapes)
    for i, key in enumerate(r38_shapes):
        np.testing.assert_array_equal(out[key], [i, -i - 0.5])


def test_reader_gpu_context_and_scalar(tmp_path):
    arrays = {'arg:a': encode_ndarray(np.arange(6, dtype=np.float32)
                                      .reshape(2, 3), 'v2', device=(2, 1)),
              'arg:b': encode_ndarray(np.array(3.5, np.float32), 'v3')}
    read = mx2mm.read_mxnet_params(
        str(write_params(tmp_path / 'x.params', arrays)))
    np.testing.assert_array_equal(read['arg:a'], [[0, 1, 2], [3, 4, 5]])
    assert read['arg:b'].shape == () and read['arg:b'] == 3.5


def run_cli(*args):
    return subprocess.run(
        [sys.executable, str(CONVERTERS / 'resnet38d_mxnet2mmconta.py'),
         *map(str, args)], cwd=REPO, capture_output=True, text=True,
        env=dict(os.environ, OMP_NUM_THREADS='1'), timeout=120)


def full_value(index: int, shape) -> np.ndarray:
    return np.random.default_rng(index).standard_normal(
        shape, dtype=np.float32).astype(np.float16)


def test_cli_full_size_float16(tmp_path, r38_shapes):
    src = tmp_path / 'ilsvrc.params'
    with open(src, 'wb') as f:  # write_params, streamed
        names = [mxnet_name(k) for k in r38_shapes]
        names += ['arg:linear1000_weight', 'arg:linear1000_bias']
        shapes = list(r38_shapes.values()) + [(1000, 4096), (1000, )]
        f.write(struct.pack('<QQQ', 0x112, 0, len(names)))
        for i, shape in enumerate(shapes):
            f.write(encode_ndarray(full_value(i, shape), 'v2'))
        f.write(struct.pack('<Q', len(names)))
        for name in names:
            f.write(struct.pack('<Q', len(name)) + name.encode())
    dst = tmp_path / 'out' / 'resnet38d_ilsvrc.pth'
    result = run_cli(src, dst)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'converted 191 tensors (float16)' in result.stdout
    assert 'dropped 2: arg:linear1000_weight, arg:linear1000_bias' in \
        result.stdout
    state_dict = torch.load(dst, weights_only=True)
    with torch.device('meta'):
        model = ResNet38d()
    # Strict: every key and shape (BN fills in num_batches_tracked).
    model.load_state_dict(state_dict, strict=True, assign=True)
    for i, key in enumerate(r38_shapes):
        assert torch.equal(state_dict[key],
                           torch.from_numpy(full_value(i, r38_shapes[key])))


def test_cli_refuses_unknown_key(tmp_path):
    src = write_params(tmp_path / 'x.params', {
        'arg:conv1a_weight': np.zeros((64, 3, 3, 3), np.float32),
        'arg:res2b7_branch2a_weight': np.zeros(2, np.float32),
        'arg:fc9_weight': np.zeros(2, np.float32)})
    result = run_cli(src, tmp_path / 'out.pth')
    assert result.returncode == 1
    assert 'match no ResNet38d parameter: arg:res2b7_branch2a_weight ' \
        '(-> b2_7.conv_branch2a.weight), arg:fc9_weight' in result.stderr
    assert '190 ResNet38d keys have no MXNet parameter' in result.stderr
    assert not (tmp_path / 'out.pth').exists()


def test_convert_refuses_shape_mismatch(r38_shapes):
    params = {mxnet_name(k): np.zeros(v, np.float16)
              for k, v in r38_shapes.items() if k.startswith('b2.')}
    params['arg:conv1a_weight'] = np.zeros((64, 3, 7, 7), np.float16)
    with pytest.raises(ValueError, match=r'x\.params: .*arg:conv1a_weight '
                       r'-> conv1a\.weight: shape \(64, 3, 7, 7\), '
                       r'ResNet38d has \(64, 3, 3, 3\)'):
        mx2mm.convert(params, r38_shapes, 'x.params')


def good_file(tmp_path) -> bytes:
    path = write_params(tmp_path / 'good.params', {
        'arg:conv1a_weight': np.arange(8, dtype=np.float32),
        'aux:bn7_moving_var': np.ones(4, np.float32)})
    return path.read_bytes()


@pytest.mark.parametrize('edit,message', [
    (lambda b: struct.pack('<Q', 0x113) + b[8:],
     r'offset 0: bad magic 0x113: not an MXNet NDArray list file'),
    (lambda b: b[:24] + struct.pack('<I', 0xF993FAD0) + b[28:],
     r'offset 24: bad magic 0xf993fad0 at array #0'),
    (lambda b: b[:28] + struct.pack('<i', 1) + b[32:],
     r'offset 24: array #0 has row_sparse storage'),
    (lambda b: b[:52] + struct.pack('<i', 4) + b[56:],
     r'offset 52: array #0 has dtype int32; supported'),
    (lambda b: b[:44], r'offset 44: truncated file: the context of array '
     r'#0 needs 8 bytes, 0 left'),
    (lambda b: b[:70], r'offset 56: truncated file: the data of array #0 '
     r'\(8,\) needs 32 bytes, 14 left'),
    (lambda b: b[:-3],
     r'offset 177: truncated file: name #1 needs 18 bytes, 15 left'),
    (lambda b: b + b'\0', r'offset 195: 1 unexpected bytes after the names'),
])
def test_reader_bad_inputs(tmp_path, edit, message):
    path = tmp_path / 'bad.params'
    path.write_bytes(edit(good_file(tmp_path)))
    assert mx2mm.read_mxnet_params(str(tmp_path / 'good.params'))
    with pytest.raises(ValueError, match=f'bad.params: {message}'):
        mx2mm.read_mxnet_params(str(path))


def test_mxnet2_npz(tmp_path):
    np.savez(tmp_path / 'x.params', **{'arg:conv1a_weight': np.ones(2)})
    path = tmp_path / 'x.params.npz'
    assert list(mx2mm.read_mxnet_params(str(path))) == ['arg:conv1a_weight']


# --------------------------------------------------------------- WSSS

def build(model_cfg):
    register_all_modules()
    model_cfg = Config(dict(model=model_cfg)).model
    drop_pretrained(model_cfg)
    return MODELS.build(model_cfg)


def config_model(name: str):
    return Config.fromfile(REPO / 'configs/_base_/models' / name).model


HEADS = {
    'seam': {'head.classifier.weight': 'fc8.weight',
             'pcm.reduce_convs.0.weight': 'f8_3.weight',
             'pcm.reduce_convs.1.weight': 'f8_4.weight',
             'pcm.embed_conv.weight': 'f9.weight'},
    'psa-cls': {'head.classifier.weight': 'fc8.weight'},
    'psa-aff': {'level_convs.0.weight': 'f8_3.weight',
                'level_convs.1.weight': 'f8_4.weight',
                'level_convs.2.weight': 'f8_5.weight',
                'fuse.weight': 'f9.weight'},
    'irn-cam': {'head.classifier.weight': 'classifier.weight'},
}


def fake_value(shape, dtype, gen):
    if dtype == torch.int64:
        return torch.randint(0, 1000, shape, generator=gen)
    return torch.randn(shape, generator=gen)


def irn_aliases(canonical, stem, stages, extra=()):
    """The other names IRN's state_dict holds: stage{i} (Sequential of
    resnet50's modules) and backbone.{i} (ModuleList of the stages)."""
    prefixes = [(f'stage1.{i}.', f'resnet50.{n}.')
                for i, n in enumerate(stem) if n]
    prefixes += [(f'stage{i + 2}.0.', f'resnet50.{n}.')
                 for i, n in enumerate(stages)]
    prefixes += [(f'backbone.{int(p[5]) - 1}.{p[7:]}', c)
                 for p, c in prefixes]
    prefixes += list(extra)
    out = {}
    for alias, target in prefixes:
        for key, value in canonical.items():
            if key.startswith(target):
                out[alias + key[len(target):]] = value
    return out


def fake_upstream(source, model):
    """(upstream state dict, {mmconta key: expected tensor})."""
    gen = torch.Generator().manual_seed(0)
    expected = {k: fake_value(v.shape, v.dtype, gen)
                for k, v in model.state_dict().items()}
    upstream = {}
    for key, value in expected.items():
        if key in HEADS[source]:
            upstream[HEADS[source][key]] = value
        elif source == 'irn-cam':
            upstream['resnet50.' + key[len('backbone.'):]] = value
        else:
            upstream[key[len('backbone.'):]] = value
    if source == 'seam':  # background first
        fc8 = expected['head.classifier.weight']
        upstream['fc8.weight'] = torch.cat([torch.randn_like(fc8[:1]), fc8])
    if source == 'irn-cam':
        upstream.update(irn_aliases(
            upstream, ('conv1', 'bn1', '', '', 'layer1'),
            ('layer2', 'layer3', 'layer4'),
            [('newly_added.0.', 'classifier.')]))
    return upstream, expected


@pytest.mark.parametrize('source,model_cfg', [
    ('irn-cam', 'cam_r50.py'),
    ('seam', 'seam_r38.py'),
    ('psa-cls', 'cam_r38.py'),
    ('psa-aff', 'affinitynet_r38.py'),
])
def test_wsss_sources_load_strictly(tmp_path, source, model_cfg):
    model = build(config_model(model_cfg))
    upstream, expected = fake_upstream(source, model)
    if source == 'psa-cls':  # PSA's own files predate num_batches_tracked
        upstream = {k: v for k, v in upstream.items()
                    if not k.endswith('num_batches_tracked')}
        state = model.state_dict()
        expected = {k: state[k] if k.endswith('num_batches_tracked') else v
                    for k, v in expected.items()}
    if source == 'psa-aff':  # saved from DataParallel
        upstream = {'module.' + k: v for k, v in upstream.items()}
    torch.save(upstream, tmp_path / 'upstream.pth')
    del upstream
    dst = tmp_path / 'converted.pth'
    assert wsss2mmconta.main([source, str(tmp_path / 'upstream.pth'),
                              str(dst)]) == 0
    with safe_loading():
        checkpoint = load_checkpoint(model, str(dst), strict=True)
    assert checkpoint['meta']['converted_from'] == source
    state = model.state_dict()
    assert set(state) == set(expected)
    for key, value in expected.items():
        assert torch.equal(state[key], value), key


def test_irn_cam_aliases_must_agree(tmp_path):
    model = build(config_model('cam_r50.py'))
    upstream, _ = fake_upstream('irn-cam', model)
    assert 'backbone.0.1.running_var' in upstream  # resnet50.bn1
    upstream['backbone.0.1.running_var'] = upstream[
        'backbone.0.1.running_var'] + 1
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match=r'backbone\.0\.1\.running_var '
                       r'differs from resnet50\.bn1\.running_var'):
        wsss2mmconta.convert(upstream, wsss2mmconta.SOURCES['irn-cam'],
                             shapes)


def test_irn_irn_names_what_does_not_map():
    """IRN's stem levels and two-step fusion have no IRNet counterpart."""
    model_cfg = wsss2mmconta.target_model_config(
        wsss2mmconta.SOURCES['irn-irn'])
    shapes = wsss2mmconta.target_shapes(model_cfg)
    upstream = {'resnet50.' + k[len('backbone.'):]: torch.zeros(v)
                for k, v in shapes.items() if k.startswith('backbone.')}
    convs = dict(fc_edge1=(64, 32, 4), fc_edge2=(256, 32, 4),
                 fc_edge3=(512, 32, 4), fc_edge4=(1024, 32, 4),
                 fc_edge5=(2048, 32, 4), fc_dp1=(64, 64, 8),
                 fc_dp2=(256, 128, 16), fc_dp3=(512, 256, 16),
                 fc_dp4=(1024, 256, 16), fc_dp5=(2048, 256, 16),
                 fc_dp6=(768, 256, 16), fc_dp7=(448, 256, 16))
    for name, (cin, cout, _) in convs.items():
        upstream[f'{name}.0.weight'] = torch.zeros(cout, cin, 1, 1)
        upstream[f'{name}.1.weight'] = torch.zeros(cout)
        upstream[f'{name}.1.bias'] = torch.zeros(cout)
    upstream['fc_edge6.weight'] = torch.zeros(1, 160, 1, 1)
    upstream['fc_edge6.bias'] = torch.zeros(1)
    upstream['fc_dp7.3.weight'] = torch.zeros(2, 256, 1, 1)
    upstream['mean_shift.running_mean'] = torch.zeros(2)
    upstream['fc_dp7.4.running_mean'] = torch.zeros(2)
    upstream.update(irn_aliases(
        upstream, ('conv1', 'bn1'), ('layer1', 'layer2', 'layer3', 'layer4'),
        [(f'edge_layers.{i}.', f'fc_edge{i + 1}.') for i in range(6)] +
        [(f'dp_layers.{i}.', f'fc_dp{i + 1}.') for i in range(7)]))
    upstream['path_indices0'] = torch.zeros(3, 4, dtype=torch.int64)
    upstream['disp_target'] = torch.zeros(1, 2, 3, 1)
    with pytest.raises(ValueError) as error:
        wsss2mmconta.convert(upstream, wsss2mmconta.SOURCES['irn-irn'],
                             shapes)
    message = str(error.value)
    assert '14 upstream keys have no mmconta counterpart: ' \
        'fc_edge1.0.weight, fc_edge1.1.weight, fc_edge1.1.bias, ' \
        'fc_dp1.0.weight' in message
    for key in ('fc_edge6.weight', 'fc_dp6.0.weight', 'fc_dp7.0.weight'):
        assert key in message
    assert '5 mmconta keys have no upstream value: edge_fuse.weight, ' \
        'edge_fuse.bias, disp_fuse.0.conv.weight, disp_fuse.0.gn.weight, ' \
        'disp_fuse.0.gn.bias' in message
    assert 'fuses in two steps' in message
    assert 'path_indices0' not in message and 'dp_layers' not in message


def test_wsss_cli_refuses_unmapped_key(tmp_path):
    script = str(CONVERTERS / 'wsss2mmconta.py')
    torch.save({'fc9.weight': torch.zeros(1)}, tmp_path / 'x.pth')
    result = subprocess.run(
        [sys.executable, script, 'psa-aff', str(tmp_path / 'x.pth'),
         str(tmp_path / 'y.pth')], cwd=REPO, capture_output=True,
        text=True, env=dict(os.environ, OMP_NUM_THREADS='1'), timeout=120)
    assert result.returncode == 1
    assert 'cannot convert jiwoon-ahn/psa network/resnet38_aff.py Net: 1 ' \
        'upstream keys have no mmconta counterpart: fc9.weight' in \
        result.stderr
    assert not (tmp_path / 'y.pth').exists()
