"""The leave-one-out ranking protocol (He et al., Neural Collaborative Filtering, 2017)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ._ranking import hit_rate_at_k, ndcg_at_k

__all__ = ["evaluate_leave_one_out", "leave_one_out_split"]


def leave_one_out_split(
    log: pd.DataFrame,
    user_col: str = "user_id",
    time_col: str = "timestamp",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out each user's latest interaction.

    Users with a single interaction stay entirely in the training part. Ties
    in time go to the row that comes last in ``log``.

    Parameters
    ----------
    log : DataFrame
        Interactions, one per row.
    user_col : str, default="user_id"
        Column of ``log`` with the user ids.
    time_col : str, default="timestamp"
        Column of ``log`` that orders each user's interactions in time.

    Returns
    -------
    train, test : DataFrame
        ``test`` holds one row per user with at least two interactions.
    """
    for column in (user_col, time_col):
        if column not in log.columns:
            raise ValueError(f"Column {column!r} is not in log.")
    order = log.reset_index(drop=True)
    latest = order.sort_values(time_col, kind="stable").groupby(user_col).tail(1).index
    counts = order[user_col].map(order[user_col].value_counts())
    test_index = latest[counts.loc[latest].to_numpy() >= 2]
    mask = np.zeros(len(order), dtype=bool)
    mask[test_index] = True
    return order[~mask], order[mask]


def evaluate_leave_one_out(
    model: Any,
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    user_col: str = "user_id",
    item_col: str = "item_id",
    n_negatives: int = 99,
    k: int = 10,
    rank_by: str | dict | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> dict[str, float]:
    """HR@k and NDCG@k of ranking each held-out item against sampled negatives.

    For every user in ``test``, ``n_negatives`` items are drawn uniformly
    from the items of ``train`` that the user never interacted with (in
    ``train`` or ``test``); the held-out item and the negatives are scored and
    ranked (in a random order first, so ties do not favour the positive).

    Parameters
    ----------
    model : MultiTaskRecommender or callable
        A fitted model (scored with ``score_pairs(users, items, rank_by)``),
        or ``score(users, items) -> array`` for any other recommender.
    train, test : DataFrame
        From :func:`leave_one_out_split`.
    user_col, item_col : str
    n_negatives : int, default=99
    k : int, default=10
    rank_by : str or dict, default=None
        Passed to ``score_pairs``.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    dict
        ``hit_rate@k``, ``ndcg@k``, ``n_users`` (users ranked) and
        ``n_skipped`` (users whose held-out item never occurs in ``train``,
        which no model of ids can rank).
    """
    rng = check_random_state(random_state)
    items = np.unique(train[item_col].to_numpy())
    known = np.isin(test[item_col].to_numpy(), items)
    test = test[known]
    users = test[user_col].to_numpy()
    positives = test[item_col].to_numpy()
    item_position = pd.Index(items)
    seen = pd.concat([train[[user_col, item_col]], test[[user_col, item_col]]])
    seen_by_user = seen.groupby(user_col)[item_col].agg(lambda s: set(s.tolist()))
    negatives = np.empty((len(users), n_negatives), dtype=np.int64)
    for row, user in enumerate(users):
        unseen = np.flatnonzero(~np.isin(items, list(seen_by_user[user])))
        if len(unseen) < n_negatives:
            raise ValueError(f"User {user!r} has fewer than {n_negatives} unseen items.")
        negatives[row] = rng.choice(unseen, size=n_negatives, replace=False)

    candidates = np.column_stack([item_position.get_indexer(positives), negatives])
    order = np.argsort(rng.uniform(size=candidates.shape), axis=1)  # shuffle each row
    candidates = np.take_along_axis(candidates, order, axis=1)
    y_true = (order == 0).astype(np.float64)
    flat_users = np.repeat(users, candidates.shape[1])
    flat_items = items[candidates.reshape(-1)]
    if callable(model) and not hasattr(model, "score_pairs"):
        scores = np.asarray(model(flat_users, flat_items), dtype=np.float64)
    else:
        scores = model.score_pairs(flat_users, flat_items, rank_by=rank_by)["score"].to_numpy()
    y_score = scores.reshape(candidates.shape)
    return {
        f"hit_rate@{k}": hit_rate_at_k(y_true, y_score, k),
        f"ndcg@{k}": ndcg_at_k(y_true, y_score, k),
        "n_users": len(users),
        "n_skipped": int((~known).sum()),
    }
