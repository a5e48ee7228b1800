"""Turn a log of positive interactions into impressions by sampling negatives."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ..catalog import split_entity_columns

__all__ = ["sample_negatives", "split_entity_columns"]


@validate_params(
    {
        "log": [pd.DataFrame],
        "n_negatives": [Interval(Integral, 1, None, closed="left")],
        "user_col": [str],
        "item_col": [str],
        "label_col": [str],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def sample_negatives(
    log: pd.DataFrame,
    n_negatives: int = 4,
    *,
    user_col: str = "user_id",
    item_col: str = "item_id",
    label_col: str = "watched",
    random_state: int | np.random.RandomState | None = None,
) -> pd.DataFrame:
    """Impressions from a log of positive interactions, with sampled negatives.

    For every interaction, ``n_negatives`` items the user never interacted
    with (in ``log``) are drawn uniformly. Positive rows keep all their columns
    and get ``label_col = 1``; sampled rows get ``label_col = 0``, the user's
    and the item's own columns (see :func:`split_entity_columns`), and NaN in
    every column that only exists after an interaction (a rating, a "like").
    That is the click → conversion structure that masked multi-task losses
    and ESMM are made for.

    Parameters
    ----------
    log : DataFrame
        One row per (user, item) interaction.
    n_negatives : int, default=4
        Sampled non-interacted items per interaction.
    user_col, item_col : str, default="user_id", "item_id"
    label_col : str, default="watched"
        Name of the new binary column.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    DataFrame
        ``log`` rows then sampled rows, with the same columns plus ``label_col``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.datasets import sample_negatives
    >>> log = pd.DataFrame({"user_id": [1, 1, 2, 2], "item_id": [10, 11, 10, 12],
    ...                     "age": [30, 30, 40, 40], "rating": [4.0, 2.0, 5.0, 1.0]})
    >>> out = sample_negatives(log, n_negatives=1, random_state=0)
    >>> out[["user_id", "item_id", "age", "rating", "watched"]].tail(4)
       user_id  item_id  age  rating  watched
    4        1       12   30     NaN        0
    5        1       12   30     NaN        0
    6        2       11   40     NaN        0
    7        2       11   40     NaN        0
    """
    for column in (user_col, item_col):
        if column not in log.columns:
            raise ValueError(f"Column {column!r} is not in log.")
    if label_col in log.columns:
        raise ValueError(f"label_col {label_col!r} is already a column of log.")
    rng = check_random_state(random_state)
    users, user_index = np.unique(log[user_col].to_numpy(), return_inverse=True)
    items, item_index = np.unique(log[item_col].to_numpy(), return_inverse=True)
    n_items = len(items)
    seen = np.unique(user_index.astype(np.int64) * n_items + item_index)
    counts = np.bincount(user_index, minlength=len(users))
    if np.any(counts >= n_items):
        full = users[counts >= n_items][:5]
        raise ValueError(f"Users {list(full)} interacted with every item: nothing to sample.")

    # Draw, reject what the user has seen (or already drew), redraw the rest.
    sample_users = np.repeat(user_index, n_negatives)
    sample_items = rng.randint(n_items, size=len(sample_users))
    pending = np.arange(len(sample_users))
    while len(pending):
        keys = sample_users[pending].astype(np.int64) * n_items + sample_items[pending]
        bad = np.isin(keys, seen)
        pending = pending[bad]
        sample_items[pending] = rng.randint(n_items, size=len(pending))

    user_columns, item_columns, _ = split_entity_columns(log, user_col, item_col)
    user_table = log.groupby(user_col, sort=True)[user_columns].first()
    item_table = log.groupby(item_col, sort=True)[item_columns].first()
    negatives = pd.DataFrame({user_col: users[sample_users], item_col: items[sample_items]})
    negatives = negatives.join(user_table, on=user_col).join(item_table, on=item_col)
    negatives = negatives.reindex(columns=log.columns)
    positives = log.copy()
    positives[label_col] = 1
    negatives[label_col] = 0
    return pd.concat([positives, negatives], ignore_index=True)
