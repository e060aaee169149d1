"""mmconta's version, and the OpenMMLab versions it runs on."""
import importlib
from typing import Dict, Tuple

__version__ = '0.1.0'

# [low, high) per import name. Tested on both distributions of the stack:
# upstream (mmengine 0.10.7, mmcv 2.1.0, mmseg 1.2.2, mmpretrain 1.2.0) and
# the maintained OneDL fork (0.10.12, 2.3.6, 1.4.2, 1.3.6).
REQUIRED: Dict[str, Tuple[str, str]] = {
    'mmengine': ('0.10.7', '1.0.0'),
    'mmcv': ('2.1.0', '2.4.0'),
    'mmseg': ('1.2.2', '2.0.0'),
    'mmpretrain': ('1.2.0', '2.0.0'),
}
INSTALL_HINT = ('install one stack: `bash tools/setup_env.sh` (the OneDL fork; '
                '`MMCONTA_STACK=openmmlab` for upstream), or '
                '`pip install -e .[onedl]` / `pip install -e .[openmmlab]`')


def check_dependencies() -> None:
    """Raise a clear ImportError when an OpenMMLab package is missing or
    outside :data:`REQUIRED`."""
    from mmengine.utils import digit_version
    for name, (low, high) in REQUIRED.items():
        try:
            version = importlib.import_module(name).__version__
        except ImportError as e:
            raise ImportError(f'mmconta needs {name}: {INSTALL_HINT}') from e
        if not digit_version(low) <= digit_version(version) < \
                digit_version(high):
            raise ImportError(f'mmconta needs {low} <= {name} < {high}, '
                              f'found {version}: {INSTALL_HINT}')
