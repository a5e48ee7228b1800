"""Simulated recommendation logs with several related tasks; no download needed."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["make_recommendation_tasks"]


def _standardize(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() + 1e-12)


@validate_params(
    {
        "n_users": [Interval(Integral, 2, None, closed="left")],
        "n_items": [Interval(Integral, 2, None, closed="left")],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_factors": [Interval(Integral, 1, None, closed="left")],
        "task_correlation": [Interval(Real, 0, 1, closed="both")],
        "missing_fraction": [Interval(Real, 0, 1, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_recommendation_tasks(
    n_users: int = 500,
    n_items: int = 300,
    n_samples: int = 20_000,
    *,
    n_factors: int = 8,
    task_correlation: float = 0.8,
    missing_fraction: float = 0.2,
    noise: float = 0.5,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate (user, item) impressions labelled with click, like and rating.

    Users and items have latent factor vectors; their side features are noisy
    functions of those factors, so they carry part of the signal. Each task's
    score is a mix of one common user-item affinity (weight
    ``task_correlation``) and an affinity of its own, so ``task_correlation``
    sets how much the tasks share: 1 makes them the same problem, 0 unrelated
    ones. Popular items are shown more often (a long-tailed exposure).

    Parameters
    ----------
    n_users, n_items : int, default=500, 300
        Number of distinct users and items.
    n_samples : int, default=20000
        Number of impressions (rows).
    n_factors : int, default=8
        Dimension of the latent factors.
    task_correlation : float in [0, 1], default=0.8
        Weight of the affinity the tasks share.
    missing_fraction : float in [0, 1), default=0.2
        Share of rows whose ``like`` and (independently) ``rating`` label is
        missing (NaN). ``click`` is always labelled.
    noise : float, default=0.5
        Standard deviation of the noise added to each task's score.
    random_state : int, RandomState instance or None, default=None
        Seed of the simulation.

    Returns
    -------
    X : DataFrame of shape (n_samples, 7)
        ``user_id``, ``item_id`` (strings), ``age``, ``gender``, ``segment``,
        ``item_category``, ``price``.
    y : DataFrame of shape (n_samples, 3)
        ``click`` (0/1), ``like`` (0/1 or NaN), ``rating`` (1-5 or NaN).

    Examples
    --------
    >>> from sklearn_mtl.datasets import make_recommendation_tasks
    >>> X, y = make_recommendation_tasks(n_samples=100, random_state=0)
    >>> X.shape, list(y.columns)
    ((100, 7), ['click', 'like', 'rating'])
    """
    rng = check_random_state(random_state)
    user_factors = rng.normal(size=(n_users, n_factors))
    item_factors = rng.normal(size=(n_items, n_factors))
    item_bias = rng.normal(scale=0.5, size=n_items)

    # Side features: noisy views of the latent factors.
    age = np.clip(40 + 12 * user_factors[:, 0] + rng.normal(scale=6, size=n_users), 16, 80)
    gender = np.where(user_factors[:, 1] + rng.normal(scale=0.5, size=n_users) > 0, "F", "M")
    segment = pd.cut(
        user_factors[:, 2], [-np.inf, -0.5, 0.7, np.inf], labels=["casual", "regular", "power"]
    ).astype(str)
    category = np.array([f"cat_{k}" for k in np.argmax(item_factors[:, :4], axis=1)])
    log_price = 2.5 + 0.4 * item_factors[:, 1] + rng.normal(scale=0.2, size=n_items)
    price = np.round(np.exp(log_price), 2)

    exposure = np.exp(item_bias * 2.0)
    users = rng.randint(n_users, size=n_samples)
    items = rng.choice(n_items, size=n_samples, p=exposure / exposure.sum())

    shared = _standardize(np.einsum("ij,ij->i", user_factors[users], item_factors[items]))
    shared_weight = task_correlation
    own_weight = np.sqrt(1.0 - task_correlation**2)

    def task_score(bias_weight: float) -> np.ndarray:
        mixing = rng.normal(size=(n_factors, n_factors)) / np.sqrt(n_factors)
        own = _standardize(
            np.einsum("ij,jk,ik->i", user_factors[users], mixing, item_factors[items])
        )
        score = shared_weight * shared + own_weight * own + bias_weight * item_bias[items]
        return score + rng.normal(scale=noise, size=n_samples)

    click = rng.uniform(size=n_samples) < 1 / (1 + np.exp(-(1.5 * task_score(1.0) - 0.5)))
    like = (rng.uniform(size=n_samples) < 1 / (1 + np.exp(-1.5 * task_score(0.5)))).astype(float)
    rating = np.clip(np.round(3.5 + 0.9 * task_score(0.3), 1), 1.0, 5.0)
    like[rng.uniform(size=n_samples) < missing_fraction] = np.nan
    rating[rng.uniform(size=n_samples) < missing_fraction] = np.nan

    X = pd.DataFrame(
        {
            "user_id": [f"u{u}" for u in users],
            "item_id": [f"i{i}" for i in items],
            "age": np.round(age[users], 0),
            "gender": gender[users],
            "segment": segment[users],
            "item_category": category[items],
            "price": price[items],
        }
    )
    y = pd.DataFrame({"click": click.astype(int), "like": like, "rating": rating})
    return X, y
