"""Datasets: synthetic generators that need no download."""

from ._synthetic import make_recommendation_tasks

__all__ = ["make_recommendation_tasks"]
