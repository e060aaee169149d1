from .cam_head import CAMHead
from .context_adjusted_cam_head import ContextAdjustedCAMHead

__all__ = ['CAMHead', 'ContextAdjustedCAMHead']
