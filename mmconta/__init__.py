"""mmconta: CONTA for weakly-supervised semantic segmentation on MMSegmentation.

Importing the package registers every mmconta type (``custom_imports``).
"""
from .version import __version__, check_dependencies

check_dependencies()

from . import registry  # noqa: F401,E402  (imports mmseg's modules first)
from .utils import register_all_modules  # noqa: E402

register_all_modules(init_default_scope=False)

__all__ = ['register_all_modules', '__version__']
