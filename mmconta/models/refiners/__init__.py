"""Refinement networks for CAMs: AffinityNet (PSA, SEAM) and IRN."""
from .affinity_net import AffinityNet
from .base_refiner import BaseRefiner
from .irnet import IRNet

__all__ = ['AffinityNet', 'BaseRefiner', 'IRNet']
