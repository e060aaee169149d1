"""Mixed precision through autocast on any device, the CPU included."""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from torch import nn

from mmconta.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """An :class:`OptimWrapper` whose forward runs under ``torch.autocast``.

    mmengine 0.10.7's ``AmpOptimWrapper`` asserts a CUDA (or NPU, MLU, MUSA)
    device, so ``--amp`` cannot reach a CPU through it. bfloat16 keeps
    float32's exponent range, so no loss scaling is needed; gradients and
    weights stay float32. ``tools/train.py --amp`` picks this wrapper when
    no GPU is visible.

    Args:
        dtype (str): Autocast dtype, ``'bfloat16'`` or ``'float16'``.
            Defaults to 'bfloat16'.
        **kwargs: :class:`mmengine.optim.OptimWrapper` arguments.
    """

    def __init__(self, dtype: str = 'bfloat16', **kwargs) -> None:
        super().__init__(**kwargs)
        if dtype not in ('bfloat16', 'float16'):
            raise ValueError(
                f"dtype must be 'bfloat16' or 'float16', got {dtype!r}")
        self.dtype = getattr(torch, dtype)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Autocast the forward on the device of the model's parameters."""
        device = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(
                device_type=device, dtype=self.dtype):
            yield
