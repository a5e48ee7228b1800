"""sklearn_mtl: multi-task learning for recommender systems, as a scikit-learn estimator."""

from ._version import __version__
from .estimator import MultiTaskRecommender

__all__ = ["MultiTaskRecommender", "__version__"]
