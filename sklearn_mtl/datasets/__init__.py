"""Datasets: synthetic generators that need no download."""

from ._mmoe_synthetic import make_mmoe_synthetic
from ._synthetic import make_recommendation_tasks

__all__ = ["make_mmoe_synthetic", "make_recommendation_tasks"]
