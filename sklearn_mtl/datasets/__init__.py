"""Datasets: synthetic generators, MovieLens, and helpers for interaction logs."""

from ._clustered import make_clustered_log
from ._mmoe_synthetic import make_mmoe_synthetic
from ._movielens import fetch_movielens, get_data_home
from ._negatives import sample_negatives, split_entity_columns
from ._parquet import ParquetLog
from ._synthetic import make_recommendation_tasks

__all__ = [
    "ParquetLog",
    "fetch_movielens",
    "get_data_home",
    "make_clustered_log",
    "make_mmoe_synthetic",
    "make_recommendation_tasks",
    "sample_negatives",
    "split_entity_columns",
]
