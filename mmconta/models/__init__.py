"""Models: CAM classifiers, CONTA heads, refinement networks, segmentors."""
from .classifiers import CAMClassifier
from .heads import CAMHead

__all__ = ['CAMClassifier', 'CAMHead']
