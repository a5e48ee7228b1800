"""Pure PyTorch building blocks of the multi-task network (no scikit-learn here)."""

from .base import MultiTaskArchitecture
from .embedding import FeatureEmbedding
from .mlp import MLP
from .network import MultiTaskNetwork, Tower
from .shared_bottom import SharedBottom

__all__ = [
    "MLP",
    "FeatureEmbedding",
    "MultiTaskArchitecture",
    "MultiTaskNetwork",
    "SharedBottom",
    "Tower",
]
