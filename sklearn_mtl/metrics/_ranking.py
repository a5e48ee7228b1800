"""Ranking metrics over queries (users) of scored candidates.

Each function takes ``y_true`` (relevance, > 0 means relevant) and
``y_score`` of shape (n_queries, n_candidates), like scikit-learn's
``ndcg_score``, and averages over queries. Candidates are ranked by
decreasing score; ties keep the candidates' order. Pad ragged queries with
``-inf`` scores and zero relevance.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "hit_rate_at_k",
    "map_at_k",
    "mrr",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
]


def _check(y_true, y_score, k: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    if y_true.ndim == 1:
        y_true, y_score = y_true[None, :], y_score[None, :]
    if y_true.shape != y_score.shape or y_true.ndim != 2:
        raise ValueError(
            f"y_true and y_score must have the same 2-D shape (n_queries, n_candidates); "
            f"got {y_true.shape} and {y_score.shape}."
        )
    if np.isnan(y_score).any() or np.isnan(y_true).any():
        raise ValueError("y_true and y_score must not hold NaN.")
    n_candidates = y_true.shape[1]
    if k is None:
        k = n_candidates
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}.")
    return y_true, y_score, min(int(k), n_candidates)


def _top_relevance(y_true: np.ndarray, y_score: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(-y_score, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(y_true, order, axis=1)


def hit_rate_at_k(y_true, y_score, k: int = 10) -> float:
    """Share of queries with at least one relevant candidate in the top ``k``.

    Parameters
    ----------
    y_true : array-like of shape (n_queries, n_candidates) or (n_candidates,)
        Relevance of each candidate; above zero means relevant.
    y_score : array-like of the same shape as ``y_true``
        Scores; candidates are ranked by decreasing score.
    k : int, default=10
        Number of top-ranked candidates that count.

    Examples
    --------
    >>> hit_rate_at_k([[0, 1, 0], [1, 0, 0]], [[0.9, 0.8, 0.1], [0.1, 0.2, 0.3]], k=2)
    0.5
    """
    y_true, y_score, k = _check(y_true, y_score, k)
    return float((_top_relevance(y_true, y_score, k) > 0).any(axis=1).mean())


def precision_at_k(y_true, y_score, k: int = 10) -> float:
    """Mean share of relevant candidates among the top ``k``.

    Parameters
    ----------
    y_true : array-like of shape (n_queries, n_candidates) or (n_candidates,)
        Relevance of each candidate; above zero means relevant.
    y_score : array-like of the same shape as ``y_true``
        Scores; candidates are ranked by decreasing score.
    k : int, default=10
        Number of top-ranked candidates that count.

    Examples
    --------
    >>> precision_at_k([[1, 0, 1, 0]], [[0.9, 0.8, 0.7, 0.1]], k=2)
    0.5
    """
    y_true, y_score, k = _check(y_true, y_score, k)
    return float((_top_relevance(y_true, y_score, k) > 0).sum(axis=1).mean() / k)


def recall_at_k(y_true, y_score, k: int = 10) -> float:
    """Mean share of each query's relevant candidates found in the top ``k``.

    Queries without a relevant candidate are left out.

    Parameters
    ----------
    y_true : array-like of shape (n_queries, n_candidates) or (n_candidates,)
        Relevance of each candidate; above zero means relevant.
    y_score : array-like of the same shape as ``y_true``
        Scores; candidates are ranked by decreasing score.
    k : int, default=10
        Number of top-ranked candidates that count.

    Examples
    --------
    >>> recall_at_k([[1, 0, 1, 0]], [[0.9, 0.8, 0.7, 0.1]], k=2)
    0.5
    """
    y_true, y_score, k = _check(y_true, y_score, k)
    n_relevant = (y_true > 0).sum(axis=1)
    found = (_top_relevance(y_true, y_score, k) > 0).sum(axis=1)
    has = n_relevant > 0
    return float((found[has] / n_relevant[has]).mean()) if has.any() else float("nan")


def ndcg_at_k(y_true, y_score, k: int = 10) -> float:
    """Normalized discounted cumulative gain of the top ``k`` (linear gains).

    ``DCG = sum_r rel_r / log2(r + 1)`` over ranks ``r = 1..k``, divided by
    the DCG of the ideal order; queries without a relevant candidate are left
    out. Agrees with ``sklearn.metrics.ndcg_score`` on untied scores.

    Parameters
    ----------
    y_true : array-like of shape (n_queries, n_candidates) or (n_candidates,)
        Relevance of each candidate; above zero means relevant.
    y_score : array-like of the same shape as ``y_true``
        Scores; candidates are ranked by decreasing score.
    k : int, default=10
        Number of top-ranked candidates that count.

    Examples
    --------
    >>> round(ndcg_at_k([[0, 1, 0]], [[0.9, 0.8, 0.1]], k=3), 4)  # hit at rank 2
    0.6309
    """
    y_true, y_score, k = _check(y_true, y_score, k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (_top_relevance(y_true, y_score, k) * discounts).sum(axis=1)
    ideal = (-np.sort(-y_true, axis=1)[:, :k] * discounts).sum(axis=1)
    has = ideal > 0
    return float((dcg[has] / ideal[has]).mean()) if has.any() else float("nan")


def map_at_k(y_true, y_score, k: int = 10) -> float:
    """Mean average precision of the top ``k``.

    ``AP@k = sum_r P@r · rel_r / min(k, n_relevant)``; queries without a
    relevant candidate are left out.

    Parameters
    ----------
    y_true : array-like of shape (n_queries, n_candidates) or (n_candidates,)
        Relevance of each candidate; above zero means relevant.
    y_score : array-like of the same shape as ``y_true``
        Scores; candidates are ranked by decreasing score.
    k : int, default=10
        Number of top-ranked candidates that count.

    Examples
    --------
    >>> map_at_k([[1, 0, 1]], [[0.9, 0.8, 0.7]], k=3)  # (1/1 + 2/3) / 2
    0.8333333333333333
    """
    y_true, y_score, k = _check(y_true, y_score, k)
    hits = _top_relevance(y_true, y_score, k) > 0
    precision = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    n_relevant = (y_true > 0).sum(axis=1)
    has = n_relevant > 0
    ap = (precision * hits).sum(axis=1)[has] / np.minimum(k, n_relevant[has])
    return float(ap.mean()) if has.any() else float("nan")


def mrr(y_true, y_score, k: int | None = None) -> float:
    """Mean reciprocal rank of the first relevant candidate (0 if none in the top ``k``).

    Parameters
    ----------
    y_true : array-like of shape (n_queries, n_candidates) or (n_candidates,)
        Relevance of each candidate; above zero means relevant.
    y_score : array-like of the same shape as ``y_true``
        Scores; candidates are ranked by decreasing score.
    k : int, default=None
        Number of top-ranked candidates that count; None counts them all.

    Examples
    --------
    >>> mrr([[0, 0, 1], [1, 0, 0]], [[0.9, 0.8, 0.7], [0.9, 0.1, 0.2]])  # (1/3 + 1) / 2
    0.6666666666666666
    """
    y_true, y_score, k = _check(y_true, y_score, k)
    hits = _top_relevance(y_true, y_score, k) > 0
    first = np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, np.inf)
    return float((1.0 / first).mean())
