import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from sklearn_mtl.metrics import TASK_METRICS, task_metric, task_scorer
from sklearn_mtl.tasks import BinaryTask, MulticlassTask, RegressionTask


def test_binary_metrics_use_labelled_rows_only():
    task = BinaryTask("like").fit(pd.Series(["no", "yes"]))
    y = np.array(["yes", "no", None, "yes", "no", None], dtype=object)
    logits = np.array([2.0, -1.0, 5.0, 0.5, 1.0, -3.0])
    keep = [0, 1, 3, 4]
    truth = np.array([1, 0, 1, 0])
    assert task_metric(task, None, y, logits) == pytest.approx(
        skm.roc_auc_score(truth, logits[keep])
    )
    proba = 1 / (1 + np.exp(-logits[keep]))
    assert task_metric(task, "neg_log_loss", y, logits) == pytest.approx(
        -skm.log_loss(truth, proba)
    )
    assert task_metric(task, "accuracy", y, logits) == pytest.approx(0.75)


def test_multiclass_and_regression_metrics():
    multi = MulticlassTask("genre").fit(pd.Series(["a", "b", "c"]))
    logits = np.eye(3)[[0, 1, 2, 0]]
    assert task_metric(multi, None, ["a", "b", "a", None], logits) == pytest.approx(2 / 3)

    reg = RegressionTask("rating").fit(pd.Series([1.0, 3.0]))
    y = np.array([1.0, np.nan, 3.0])
    out = reg.encode(pd.Series([2.0, 0.0, 3.0]))
    assert task_metric(reg, "neg_mean_absolute_error", y, out) == pytest.approx(-0.5)
    assert task_metric(reg, "neg_root_mean_squared_error", y, out) == pytest.approx(-np.sqrt(0.5))


def test_metric_errors_name_the_metric_and_task():
    task = RegressionTask("rating").fit(pd.Series([1.0, 3.0]))
    with pytest.raises(ValueError, match="Metric 'roc_auc' does not apply to task 'rating'"):
        task_metric(task, "roc_auc", [1.0], np.zeros(1))
    with pytest.raises(ValueError, match="Unknown metric 'auc'"):
        task_scorer("rating", "auc")


def test_every_metric_runs_on_a_task_it_applies_to():
    tasks = {
        "binary": (BinaryTask("b").fit(pd.Series([0, 1])), [0, 1, 1, 0], np.array([-1, 1, 2, 0.5])),
        "multiclass": (
            MulticlassTask("m").fit(pd.Series([0, 1, 2])),
            [0, 1, 2, 1],
            np.random.default_rng(0).normal(size=(4, 3)),
        ),
        "regression": (
            RegressionTask("r").fit(pd.Series([0.0, 1.0])),
            [0.0, 1, 2, 3],
            np.arange(4.0),
        ),
    }
    for name, (_, _, kinds) in TASK_METRICS.items():
        for kind in kinds:
            task, y, out = tasks[kind]
            assert np.isfinite(task_metric(task, name, y, out)), (name, kind)
