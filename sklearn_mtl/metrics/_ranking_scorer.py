"""Ranking metrics as scorers: rank each user's rows of X by the model's predictions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import torch

from . import _ranking

__all__ = ["ranking_scorer"]

_METRICS = {
    "ndcg": _ranking.ndcg_at_k,
    "hit_rate": _ranking.hit_rate_at_k,
    "precision": _ranking.precision_at_k,
    "recall": _ranking.recall_at_k,
    "map": _ranking.map_at_k,
    "mrr": _ranking.mrr,
}


def ranking_scorer(
    metric: str, task: str, k: int = 10, rank_by: str | None = None
) -> Callable[[Any, Any, Any], float]:
    """Scorer that ranks each user's rows of ``X`` and scores the ranking.

    For use in ``GridSearchCV(scoring=...)`` or ``cross_validate``: the rows
    of ``X`` are grouped by the model's ``user_col``, ranked by the predicted
    positive-class probability (or value) of ``rank_by`` (its
    :meth:`~sklearn_mtl.tasks.Task.ranking_value`), and judged by the
    labels of ``task`` in ``y`` (a label > 0, or the positive class, is
    relevant; NaN labels count as not relevant).

    Parameters
    ----------
    metric : {"ndcg", "hit_rate", "precision", "recall", "map", "mrr"}
    task : str
        The task whose labels say which rows are relevant.
    k : int, default=10
    rank_by : str, default=None
        The task whose prediction ranks the rows (``task`` if ``None``).

    Returns
    -------
    callable
        ``scorer(estimator, X, y) -> float``.
    """
    if metric not in _METRICS:
        raise ValueError(f"Unknown ranking metric {metric!r}; expected one of {sorted(_METRICS)}.")
    function = _METRICS[metric]

    def scorer(estimator: Any, X: pd.DataFrame, y: Any) -> float:
        ranker = task if rank_by is None else rank_by
        output = torch.from_numpy(estimator.predict_outputs(X)[ranker])
        score = estimator.tasks_[ranker].ranking_value(output).numpy()
        labels = pd.Series(np.asarray(y[task])).reset_index(drop=True)
        label_task = estimator.tasks_[task]
        if label_task.is_classifier:
            relevance = (labels == label_task.classes_[-1]).to_numpy(np.float64)
        else:
            relevance = labels.fillna(0).to_numpy(np.float64)
        users = pd.Series(np.asarray(X[estimator.user_col]))
        codes, _ = pd.factorize(users)
        # Pad each user's rows into one row of a (n_users, max_rows) matrix.
        order = np.argsort(codes, kind="stable")
        counts = np.bincount(codes)
        column = np.arange(len(codes)) - np.repeat(np.cumsum(counts) - counts, counts)
        true = np.zeros((len(counts), counts.max()))
        scores = np.full((len(counts), counts.max()), -np.inf)
        true[codes[order], column] = relevance[order]
        scores[codes[order], column] = score[order]
        return function(true, scores, k)

    scorer.__name__ = f"ranking_scorer({metric!r}, {task!r}, k={k})"
    return scorer
