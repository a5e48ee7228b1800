"""The synthetic two-task regression data of the MMoE paper (Ma et al., KDD 2018, §3.2)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["make_mmoe_synthetic"]


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 2, None, closed="left")],
        "correlation": [Interval(Real, -1, 1, closed="both")],
        "scale": [Interval(Real, 0, None, closed="neither")],
        "n_sines": [Interval(Integral, 0, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_mmoe_synthetic(
    n_samples: int,
    n_features: int = 100,
    correlation: float = 0.5,
    *,
    scale: float = 1.0,
    n_sines: int = 10,
    noise: float = 0.1,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Two regression tasks whose relatedness is set by ``correlation``.

    Following the paper: draw two orthogonal unit vectors ``u1, u2``; set
    ``w1 = c u1`` and ``w2 = c (p u1 + sqrt(1 - p²) u2)``; draw ``x ~ N(0, I)``;
    and label ``y_i = w_iᵀx + sum_k sin(α_k w_iᵀx + β_k) + ε_i``. The sines
    (the same ``α_k, β_k`` for both tasks) make the tasks non-linear, so ``p``
    is the cosine similarity of the two weight vectors rather than the
    correlation of the labels.

    Parameters
    ----------
    n_samples : int
        Number of rows.
    n_features : int, default=100
        Dimension of ``x`` (``d`` in the paper).
    correlation : float in [-1, 1], default=0.5
        Cosine similarity ``p`` of the two tasks' weight vectors.
    scale : float, default=1.0
        Norm ``c`` of the weight vectors.
    n_sines : int, default=10
        Number ``m`` of sine terms.
    noise : float, default=0.1
        Standard deviation of ``ε`` (the paper's variance 0.01).
    random_state : int, RandomState instance or None, default=None
        Seeds ``u1, u2, α, β`` and the rows alike: two calls with the same
        seed and sizes return the same tasks, so fit and test data must come
        from one call.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : DataFrame of shape (n_samples, 2)
        Columns ``y1`` and ``y2``.

    Examples
    --------
    >>> from sklearn_mtl.datasets import make_mmoe_synthetic
    >>> X, y = make_mmoe_synthetic(1000, n_features=20, correlation=1.0, random_state=0)
    >>> X.shape, bool((y["y1"] - y["y2"]).abs().max() < 1.0)
    ((1000, 20), True)
    """
    rng = check_random_state(random_state)
    basis, _ = np.linalg.qr(rng.normal(size=(n_features, 2)))
    u1, u2 = basis[:, 0], basis[:, 1]
    w1 = scale * u1
    w2 = scale * (correlation * u1 + np.sqrt(1.0 - correlation**2) * u2)
    alpha = rng.normal(size=n_sines)
    beta = rng.normal(size=n_sines)

    X = rng.normal(size=(n_samples, n_features))

    def label(w: np.ndarray) -> np.ndarray:
        linear = X @ w
        sines = np.sin(np.outer(linear, alpha) + beta).sum(axis=1)
        return linear + sines + rng.normal(scale=noise, size=n_samples)

    return X, pd.DataFrame({"y1": label(w1), "y2": label(w2)})
