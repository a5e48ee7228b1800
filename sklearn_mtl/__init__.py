"""sklearn_mtl: multi-task learning for recommender systems, as a scikit-learn estimator."""

from .estimator import MultiTaskRecommender

__version__ = "0.1.0"

__all__ = ["MultiTaskRecommender", "__version__"]
