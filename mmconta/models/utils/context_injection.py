"""Where CONTA's context map M enters a backbone: one extra input channel of
a convolution, as a forward hook, so that any backbone works unchanged."""
import re
from typing import List, Optional

import torch.nn.functional as F
from torch import Tensor, nn

INJECT_POINTS = ('classifier', 'input', 'stage<k>')


def stage_modules(backbone: nn.Module) -> List[nn.Module]:
    """The residual stages of a backbone, in order.

    Knows mmseg's and mmpretrain's ResNets (``res_layers``, the names of
    ``layer1`` ... ``layer4``) and :class:`ResNet38d` (``stage_blocks``,
    the block names of each stage; a stage is its blocks).

    Raises:
        ValueError: The backbone exposes neither.
    """
    if hasattr(backbone, 'res_layers'):
        return [getattr(backbone, name) for name in backbone.res_layers]
    if hasattr(backbone, 'stage_blocks'):
        return [
            nn.ModuleList(getattr(backbone, name) for name in names)
            for names in backbone.stage_blocks
        ]
    raise ValueError(
        f'{type(backbone).__name__} exposes no stages (res_layers or '
        "stage_blocks): use inject='input' or 'classifier'")


def first_conv(module: nn.Module, where: str) -> nn.Conv2d:
    """The first ``nn.Conv2d`` of ``module`` in definition order.

    In the residual blocks of mmcv/mmseg/mmpretrain and ResNet38d, the
    first convolution defined is the first one applied to the block input
    (``conv1``, ``conv_branch2a``; shortcuts are defined after it).
    """
    for sub in module.modules():
        if isinstance(sub, nn.Conv2d):
            if sub.groups != 1:
                raise ValueError(f'{where}: the first convolution is grouped '
                                 f'(groups={sub.groups}); not supported')
            return sub
    raise ValueError(f'{where}: has no nn.Conv2d to take the context map')


def injection_conv(backbone: nn.Module, inject: str) -> nn.Conv2d:
    """The convolution that takes M for ``inject`` (``'input'`` or
    ``'stage<k>'``: the output of stage k, 1-based, feeds stage k + 1)."""
    if inject == 'input':
        return first_conv(backbone, f'{type(backbone).__name__}')
    match = re.fullmatch(r'stage(\d+)', inject)
    if match is None:
        raise ValueError(f"inject must be one of {INJECT_POINTS}, got "
                         f'{inject!r}')
    k = int(match.group(1))
    stages = stage_modules(backbone)
    if not 1 <= k < len(stages):
        raise ValueError(
            f'inject={inject!r}: {type(backbone).__name__} has '
            f'{len(stages)} stages, so k must be in 1..{len(stages) - 1} '
            '(stage k\'s output feeds stage k + 1)')
    return first_conv(stages[k], f'stage {k + 1} of '
                      f'{type(backbone).__name__}')


def context_conv_like(conv: nn.Conv2d) -> nn.Conv2d:
    """The weights of one extra input channel of ``conv``, zero at start.

    ``conv`` over ``concat(x, M)`` with weights ``[W, w_M]`` equals
    ``conv(x; W) + conv(M; w_M)`` (no groups, zero padding), so adding this
    convolution's output is the widened convolution, and with ``w_M = 0`` the
    network is exactly the plain one.
    """
    extra = nn.Conv2d(
        1, conv.out_channels, conv.kernel_size, stride=conv.stride,
        padding=conv.padding, dilation=conv.dilation, bias=False)
    nn.init.zeros_(extra.weight)
    return extra


class ContextHook:
    """A forward hook adding ``owner.context_conv(M)`` to a conv's output.

    ``owner.current_context`` holds M (N, 1, h, w) in image coordinates; it
    is resized here (bilinear) to the convolution's input, so one M serves
    every image scale and stride. The hook sits on the backbone's module and
    the weights on ``owner`` (the head), so the backbone's state-dict keys do
    not change. An object, not a closure, so that ``copy.deepcopy`` of the
    model points the copy's hook at the copy's head.
    """

    def __init__(self, owner: nn.Module) -> None:
        self.owner = owner

    def __call__(self, module: nn.Module, inputs: tuple,
                 output: Tensor) -> Tensor:
        m: Optional[Tensor] = self.owner.current_context
        if m is None:
            raise RuntimeError(
                'the context map M is not set: a backbone with CONTA\'s '
                'injection runs through its classifier, whose data samples '
                'carry prev_mask (x_m)')
        x = inputs[0]
        if m.shape[0] != x.shape[0]:
            raise RuntimeError(f'context map batch {m.shape[0]} does not '
                               f'match the input batch {x.shape[0]}')
        m = F.interpolate(m.to(x.dtype), x.shape[-2:], mode='bilinear',
                          align_corners=False)
        return output + self.owner.context_conv(m)
