"""An implicit log with hidden taste clusters: who should like what is known exactly."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["make_clustered_log"]


@validate_params(
    {
        "n_users": [Interval(Integral, 1, None, closed="left")],
        "n_items": [Interval(Integral, 2, None, closed="left")],
        "n_clusters": [Interval(Integral, 2, None, closed="left")],
        "n_watched": [Interval(Integral, 1, None, closed="left")],
        "n_negatives": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_clustered_log(
    n_users: int = 300,
    n_items: int = 240,
    *,
    n_clusters: int = 6,
    n_watched: int = 12,
    n_negatives: int = 96,
    random_state: int | np.random.RandomState | None = None,
) -> Bunch:
    """A watched/not-watched log where each user likes the items of two hidden clusters.

    Items fall into ``n_clusters`` equal clusters. Each user picks two
    clusters, watched ``n_watched`` random items of each (label 1), and is
    shown ``n_negatives`` random items outside them (label 0), as sampled
    negatives. A good recommender ranks, for each user, the unseen items of
    the user's two clusters first; ``liked_clusters`` and ``item_clusters``
    tell which those are.

    Parameters
    ----------
    n_users : int, default=300
    n_items : int, default=240
        Divisible by ``n_clusters``.
    n_clusters : int, default=6
    n_watched : int, default=12
        Watched items per cluster and user (at most ``n_items / n_clusters``).
    n_negatives : int, default=96
        Unwatched items shown to each user.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    Bunch
        ``frame`` (``user_id``, ``item_id``, ``watched``), ``liked_clusters``
        (user id → set of two cluster numbers) and ``item_clusters`` (item id
        → cluster number).

    Examples
    --------
    >>> from sklearn_mtl.datasets import make_clustered_log
    >>> log = make_clustered_log(n_users=3, n_items=12, n_clusters=3, n_watched=2,
    ...                          n_negatives=4, random_state=0)
    >>> log.frame.shape, int(log.frame["watched"].sum())
    ((24, 3), 12)
    """
    size = n_items // n_clusters
    if size * n_clusters != n_items or n_watched > size:
        raise ValueError(
            f"n_items={n_items} must split into n_clusters={n_clusters} clusters of at least "
            f"n_watched={n_watched} items."
        )
    if n_negatives > n_items - 2 * n_watched:
        raise ValueError(f"n_negatives={n_negatives} exceeds the items left to show.")
    rng = check_random_state(random_state)
    cluster = np.repeat(np.arange(n_clusters), size)
    users, items, labels, liked = [], [], [], {}
    for user in range(n_users):
        clusters = rng.choice(n_clusters, 2, replace=False)
        liked[f"u{user}"] = {int(c) for c in clusters}
        watched = np.concatenate(
            [rng.choice(np.flatnonzero(cluster == c), n_watched, replace=False) for c in clusters]
        )
        shown = rng.choice(np.setdiff1d(np.arange(n_items), watched), n_negatives, replace=False)
        users += [f"u{user}"] * (len(watched) + len(shown))
        items += [f"i{i}" for i in np.concatenate([watched, shown])]
        labels += [1] * len(watched) + [0] * len(shown)
    frame = pd.DataFrame({"user_id": users, "item_id": items, "watched": labels})
    return Bunch(
        frame=frame,
        liked_clusters=liked,
        item_clusters={f"i{i}": int(c) for i, c in enumerate(cluster)},
    )
