"""--amp on the CPU: bfloat16 autocast in the forward, float32 weights."""
import torch
from mmengine.config import Config
from torch import nn

from mmconta.registry import OPTIM_WRAPPERS
from mmconta.utils import enable_amp


def test_forward_runs_in_bfloat16_and_weights_stay_float32():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 1))
    wrapper = OPTIM_WRAPPERS.build(
        dict(type='AutocastOptimWrapper',
             optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    before = [p.detach().clone() for p in model.parameters()]
    with wrapper.optim_context(model):
        out = model(torch.randn(2, 3, 8, 8))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().square().mean())
    for old, new in zip(before, model.parameters()):
        assert new.dtype == torch.float32
        assert not torch.equal(old, new)
    # Outside the context, float32 again.
    assert model(torch.randn(1, 3, 8, 8)).dtype == torch.float32


def test_enable_amp_picks_the_wrapper_for_the_device():
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper')))
    enable_amp(cfg)
    expected = 'AmpOptimWrapper' if torch.cuda.is_available() else \
        'AutocastOptimWrapper'
    assert cfg.optim_wrapper.type == expected
