"""mmconta: CONTA for weakly-supervised semantic segmentation on MMSegmentation.

Importing the package registers every mmconta type (``custom_imports``).
"""
from . import registry  # noqa: F401  (imports mmseg's modules first)
from .utils import register_all_modules

register_all_modules(init_default_scope=False)

__version__ = '0.1.0'
__all__ = ['register_all_modules', '__version__']
