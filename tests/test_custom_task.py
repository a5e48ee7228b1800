"""A custom Task defines what its output means once, and every consumer reads it from there.

Before the Task owned its output (issue 12), ``recommend`` chose a branch by
``task_type`` and sent a task it did not know down the multiclass branch
(an argmax over one column: 0 for every pair).
"""

import importlib.util

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks
from sklearn_mtl.metrics import ranking_scorer
from sklearn_mtl.tasks import Task


class PoissonTask(Task):
    """Counts (plays, purchases) with a log link: the network predicts log(rate)."""

    task_type = "count"
    metric_name = "neg_mean_absolute_error"

    @property
    def n_outputs(self) -> int:
        return 1

    def fit(self, y):
        values = pd.to_numeric(pd.Series(y)).to_numpy(dtype=np.float64)
        if np.nanmin(values) < 0:
            raise ValueError(f"Task {self.name!r} holds negative counts.")
        return self

    def encode(self, y):
        return pd.to_numeric(pd.Series(y)).to_numpy(dtype=np.float32)

    def decode(self, codes):
        return np.asarray(codes, dtype=np.float64)

    def elementwise_loss(self, output, target):
        return F.poisson_nll_loss(output, target, log_input=True, reduction="none")

    def output(self, raw):
        return torch.exp(raw)  # the expected count


@pytest.fixture(scope="module")
def model():
    X, y = make_recommendation_tasks(n_users=30, n_items=20, n_samples=800, random_state=3)
    rng = np.random.default_rng(0)
    # Power users play more; counts are Poisson around that rate.
    rate = np.where(X["segment"] == "power", 3.0, 0.5) * (1 + X["price"] / X["price"].max())
    y = pd.DataFrame({"click": y["click"], "plays": rng.poisson(rate).astype(float)})
    fitted = MultiTaskRecommender(
        tasks={"click": "binary", "plays": PoissonTask()},
        user_col="user_id",
        item_col="item_id",
        shared_units=(16,),
        tower_units=(8,),
        max_epochs=8,
        lr=1e-2,
        random_state=0,
    ).fit(X, y)
    return fitted, X, y


def test_predict_reads_the_tasks_output(model):
    fitted, X, _ = model
    predicted = fitted.predict(X)["plays"].to_numpy()
    assert (predicted > 0).all() and not np.allclose(predicted, np.round(predicted))
    np.testing.assert_array_equal(predicted, fitted.predict_outputs(X)["plays"])
    assert "plays" not in fitted.predict_proba(X)  # not a classifier
    # The model learned the rate: power users are predicted to play more.
    power = (X["segment"] == "power").to_numpy()
    assert predicted[power].mean() > 2 * predicted[~power].mean()


def test_recommend_and_score_pairs_rank_by_the_custom_output(model):
    fitted, X, _ = model
    top = fitted.recommend(["u1", "u2"], k=5, rank_by="plays", exclude_seen=False)
    assert len(top) == 10
    assert (top["plays"] > 0).all() and not np.allclose(top["plays"], np.round(top["plays"]))
    np.testing.assert_allclose(top["score"], top["plays"])
    for _, rows in top.groupby("user_id"):
        assert rows["score"].is_monotonic_decreasing
    # Pairs scored from ids alone match the rows of X they stand for.
    head = X.head(20)
    pairs = fitted.score_pairs(head["user_id"], head["item_id"], rank_by="plays")
    np.testing.assert_allclose(pairs["plays"], fitted.predict_outputs(head)["plays"], rtol=1e-5)


def test_ranking_scorer_ranks_by_the_custom_output(model):
    fitted, X, y = model
    ndcg = ranking_scorer("ndcg", task="plays", k=5)(fitted, X, y)
    assert 0.0 < ndcg <= 1.0


def test_save_refuses_a_custom_task_by_name(model, tmp_path):
    fitted, _, _ = model
    with pytest.raises(TypeError, match=r"Task 'plays' is a custom PoissonTask.*joblib"):
        fitted.save(tmp_path / "model")


@pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None
    or importlib.util.find_spec("onnxscript") is None,
    reason="the onnx extra is not installed",
)
def test_onnx_graph_outputs_the_custom_output(model, tmp_path):
    import onnxruntime as ort

    fitted, X, _ = model
    session = ort.InferenceSession(str(fitted.export_onnx(tmp_path / "model.onnx")))
    plays = session.run(["plays"], fitted.onnx_inputs(X))[0]
    np.testing.assert_allclose(plays, fitted.predict_outputs(X)["plays"], rtol=1e-4)
