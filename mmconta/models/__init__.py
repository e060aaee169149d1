"""Models: CAM classifiers, CONTA heads, refinement networks, segmentors."""
from . import losses, refiners  # noqa: F401
from . import utils  # noqa: F401  (cam seeds, dense CRF, random walks)
from .backbones import ResNet38d
from .classifiers import CAMClassifier
from .decode_heads import DeepLabV2Head
from .heads import CAMHead, ContextAdjustedCAMHead

__all__ = [
    'CAMClassifier', 'CAMHead', 'ContextAdjustedCAMHead', 'DeepLabV2Head',
    'ResNet38d'
]
