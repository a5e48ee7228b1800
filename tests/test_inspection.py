"""Which features drive each task, and how the tasks relate."""

import numpy as np
import pandas as pd
import pytest

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.inspection import permutation_importance


@pytest.fixture(scope="module")
def two_signals():
    """Task A reads only column a, task B only column b (c is noise)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(3000, 3)), columns=["a", "b", "c"])
    y = pd.DataFrame({
        "A": (X["a"] + 0.3 * rng.normal(size=3000) > 0).astype(float),
        "B": 2.0 * X["b"] + 0.3 * rng.normal(size=3000),
    })  # fmt: skip
    return X, y


def test_each_task_ranks_its_own_column_first(two_signals):
    X, y = two_signals
    model = MultiTaskRecommender(max_epochs=10, lr=1e-2, random_state=0).fit(X[:2000], y[:2000])
    table = permutation_importance(model, X[2000:], y[2000:], n_repeats=3, random_state=0)
    assert list(table.columns) == ["feature", "task", "importance_mean", "importance_std"]
    first = table.groupby("task", sort=False)["feature"].first()
    assert first["A"] == "a" and first["B"] == "b"
    by = table.set_index(["task", "feature"])["importance_mean"]
    assert by["A", "a"] > 0.1 and abs(by["A", "c"]) < 0.02
    assert by["B", "b"] > 0.5 and abs(by["B", "c"]) < 0.05


def test_importance_needs_a_fitted_model(two_signals):
    from sklearn.exceptions import NotFittedError

    X, y = two_signals
    with pytest.raises(NotFittedError):
        permutation_importance(MultiTaskRecommender(), X, y)


@pytest.fixture(scope="module")
def affinity_data():
    """Tasks: same (two copies of one label), flipped (its negation), other (independent)."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(4000, 4)), columns=["a", "b", "c", "d"])
    same = (X["a"] + X["b"] + 0.5 * rng.normal(size=4000) > 0).astype(float)
    y = pd.DataFrame({
        "same": same,
        "copy": same,
        "flipped": 1.0 - same,
        "other": (X["c"] - X["d"] + 0.5 * rng.normal(size=4000) > 0).astype(float),
    })  # fmt: skip
    return X, y


def test_identical_tasks_agree_and_independent_ones_do_not(affinity_data):
    X, y = affinity_data
    # Trained towers: two towers of one task start apart and converge.
    model = MultiTaskRecommender(max_epochs=20, random_state=0).fit(X, y)
    affinity = model.task_affinity(X, y)
    assert list(affinity.index) == list(affinity.columns) == list(y.columns)
    np.testing.assert_allclose(np.diag(affinity), 1.0, atol=1e-6)
    assert affinity.loc["same", "copy"] > 0.9
    assert affinity.loc["same", "flipped"] > 0.85  # the same task to the network
    assert abs(affinity.loc["same", "other"]) < 0.1
    assert affinity.loc["same", "other"] < affinity.loc["same", "copy"] - 0.8


def test_affinity_is_logged_per_epoch(affinity_data):
    X, y = affinity_data
    model = MultiTaskRecommender(max_epochs=2, record_task_affinity=True, random_state=0)
    model.fit(X, y)
    logged = model.net_.history[:, "affinity_same_copy"]
    assert len(logged) == 2 and all(-1 <= value <= 1 for value in logged)
    assert "affinity_same_other" in model.net_.history[-1]


@pytest.mark.parametrize("record", [False, True])
def test_an_architecture_without_shared_layers_is_refused(affinity_data, record):
    X, y = affinity_data
    model = MultiTaskRecommender(architecture="single", max_epochs=1, record_task_affinity=record)
    with pytest.raises(ValueError, match="shares none"):
        model.fit(X, y).task_affinity(X, y)
