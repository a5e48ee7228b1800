"""Robustness: random frames, diverging losses, gradient clipping, concurrent predicts."""

import threading

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks
from sklearn_mtl.tasks import RegressionTask

# --------------------------------------------------------- property-based

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6)


@st.composite
def columns(draw, n_rows):
    """One column of a random kind, with a random pattern of missing values."""
    kind = draw(
        st.sampled_from(["int", "huge_int", "float", "nan_float", "text", "bool", "mixed", "cat"])
    )
    if kind == "int":
        values = draw(st.lists(st.integers(-5, 5), min_size=n_rows, max_size=n_rows))
        return pd.Series(values, dtype="int64")
    if kind == "huge_int":
        values = draw(st.lists(st.integers(0, 2**62), min_size=n_rows, max_size=n_rows))
        return pd.Series(values, dtype="int64")
    if kind in ("float", "nan_float"):
        element = st.floats(-1e6, 1e6)
        if kind == "nan_float":
            element = element | st.just(np.nan)
        values = draw(st.lists(element, min_size=n_rows, max_size=n_rows))
        return pd.Series(values, dtype="float64")
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows)))
    pool = draw(st.lists(_TEXT, min_size=1, max_size=4))
    values = draw(st.lists(st.sampled_from([*pool, None]), min_size=n_rows, max_size=n_rows))
    if kind == "mixed":
        values = [v if i % 3 else i for i, v in enumerate(values)]  # str, int and None
        return pd.Series(values, dtype=object)
    series = pd.Series(values, dtype="str" if kind == "text" else "category")
    return series


@st.composite
def problems(draw):
    n_rows = draw(st.integers(1, 25))
    n_columns = draw(st.integers(1, 4))
    X = pd.DataFrame({f"c{j}": draw(columns(n_rows)) for j in range(n_columns)})
    if draw(st.booleans()):
        X = pd.concat([X, X.head(3)], ignore_index=True)  # duplicate rows
    n = len(X)
    y = pd.DataFrame(
        {
            "binary": draw(st.lists(st.sampled_from([0.0, 1.0, np.nan]), min_size=n, max_size=n)),
            "value": draw(st.lists(st.floats(-100, 100) | st.just(np.nan), min_size=n, max_size=n)),
        }
    )
    order = draw(st.permutations(list(X.columns)))
    return X, y, order


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(problems())
def test_random_frames_fit_and_predict_or_fail_cleanly(problem):
    X, y, order = problem
    model = MultiTaskRecommender(
        {"binary": "binary", "value": "regression"},
        shared_units=(4,),
        tower_units=(),
        embedding_dim=2,
        batch_size=8,
        max_epochs=1,
        random_state=0,
    )
    try:
        model.fit(X, y)
    except (ValueError, TypeError) as error:
        assert str(error)  # a message, never an empty error
        return
    predicted = model.predict(X[order])  # columns in another order are the same data
    assert len(predicted) == len(X)
    assert np.isfinite(predicted["value"]).all()
    assert set(np.unique(predicted["binary"])) <= set(model.classes_["binary"])
    proba = model.predict_proba(X)["binary"]
    assert np.allclose(proba.sum(axis=1), 1.0)


# ----------------------------------------------------------- divergence


class ExplodingTask(RegressionTask):
    """A regression task whose loss turns infinite from its N-th batch on."""

    def __init__(self, name=None, after=10):
        super().__init__(name)
        self.after = after
        self.calls = 0

    def elementwise_loss(self, output, target):
        self.calls += 1
        loss = super().elementwise_loss(output, target)
        return loss * float("inf") if self.calls > self.after else loss


def test_a_loss_that_becomes_infinite_names_the_task_and_epoch():
    X, y = make_recommendation_tasks(n_samples=1000, random_state=0)
    tasks = {"click": "binary", "like": "binary", "rating": ExplodingTask(after=6)}
    # 1000 rows in batches of 256: 4 batches per epoch, so batch 7 is in epoch 2.
    model = MultiTaskRecommender(tasks, max_epochs=5)
    with pytest.raises(ValueError, match=r"diverged in epoch 2: .*task 'rating' is (inf|nan)"):
        model.fit(X, y)


def test_max_grad_norm_clips_every_step(monkeypatch):
    X, y = make_recommendation_tasks(n_samples=600, random_state=0)
    norms = []
    real = torch.nn.utils.clip_grad_norm_

    def spy(parameters, max_norm, **kwargs):
        parameters = list(parameters)
        real(parameters, max_norm, **kwargs)
        grads = [p.grad.flatten() for p in parameters if p.grad is not None]
        norms.append(float(torch.cat(grads).norm()))

    monkeypatch.setattr("skorch.callbacks.regularization.clip_grad_norm_", spy)
    MultiTaskRecommender(max_grad_norm=0.01, max_epochs=2, lr=1e-2).fit(X, y)
    assert len(norms) == 6  # 3 batches x 2 epochs
    assert max(norms) <= 0.01 * 1.0001
    with pytest.raises(ValueError, match="max_grad_norm"):
        MultiTaskRecommender(max_grad_norm=0).fit(X, y)


# ------------------------------------------------------------- threading


def test_predicting_from_many_threads_gives_the_same_results():
    X, y = make_recommendation_tasks(n_users=50, n_items=40, n_samples=3000, random_state=0)
    model = MultiTaskRecommender(
        user_col="user_id",
        item_col="item_id",
        interaction_history=True,
        architecture="mmoe",
        batch_norm=True,
        dropout=0.2,
        max_epochs=2,
        random_state=0,
    ).fit(X, y)
    expected = model.predict(X)
    expected_top = model.recommend(["u1", "u2", "u3"], k=5)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(model.predict(X))
                pd.testing.assert_frame_equal(
                    model.recommend(["u1", "u2", "u3"], k=5), expected_top
                )
        except Exception as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 40
    for result in results:
        pd.testing.assert_frame_equal(result, expected)
