from .cam_head import CAMHead
from .context_adjusted_cam_head import ContextAdjustedCAMHead
from .pixel_correlation_module import PixelCorrelationModule

__all__ = ['CAMHead', 'ContextAdjustedCAMHead', 'PixelCorrelationModule']
