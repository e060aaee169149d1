"""Models: CAM classifiers, CONTA heads, refinement networks, segmentors."""
from .classifiers import CAMClassifier
from .heads import CAMHead, ContextAdjustedCAMHead

__all__ = ['CAMClassifier', 'CAMHead', 'ContextAdjustedCAMHead']
