from .cam_classifier import CAMClassifier
from .seam_classifier import SEAMClassifier

__all__ = ['CAMClassifier', 'SEAMClassifier']
