"""Pure PyTorch building blocks of the multi-task network (no scikit-learn here)."""

from .base import MultiTaskArchitecture
from .embedding import FeatureEmbedding
from .esmm import ESMM
from .factorization import FactorizationTerms
from .history import InteractionHistory
from .mlp import MLP
from .mmoe import MMoE
from .network import MultiTaskNetwork, Tower
from .ple import PLE
from .shared_bottom import SharedBottom
from .single import SingleTask

#: Names accepted by ``MultiTaskRecommender(architecture=...)``, in the order
#: the documentation lists them.
ARCHITECTURES: dict[str, type[MultiTaskArchitecture]] = {
    "shared_bottom": SharedBottom,
    "mmoe": MMoE,
    "ple": PLE,
    "esmm": ESMM,
    "single": SingleTask,
}

__all__ = [
    "ARCHITECTURES",
    "ESMM",
    "MLP",
    "PLE",
    "FactorizationTerms",
    "FeatureEmbedding",
    "InteractionHistory",
    "MMoE",
    "MultiTaskArchitecture",
    "MultiTaskNetwork",
    "SharedBottom",
    "SingleTask",
    "Tower",
]
