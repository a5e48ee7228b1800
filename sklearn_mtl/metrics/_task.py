"""Per-task metrics and scorers for model selection.

Every metric is computed on the rows that carry a label for the task (NaN
rows are left out), from the network's raw output, so one forward pass serves
all metrics of all tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from ..tasks import Task

__all__ = ["TASK_METRICS", "task_metric", "task_scorer"]


def _is_positive(y: np.ndarray, task: Task) -> np.ndarray:
    return np.asarray(y == task.classes_[1], dtype=bool)


def _positive_proba(task: Task, output: np.ndarray) -> np.ndarray:
    return task.predict_proba(output)[:, 1]


def _proba_for_auc(task: Task, output: np.ndarray) -> np.ndarray:
    proba = task.predict_proba(output)
    return proba[:, 1] if proba.shape[1] == 2 else proba


# name → (function(y_true, response, task), response kind, tasks it applies to)
_Metric = tuple[Callable[[np.ndarray, np.ndarray, Task], float], str, tuple[str, ...]]

TASK_METRICS: dict[str, _Metric] = {
    "roc_auc": (
        lambda y, p, t: (
            skm.roc_auc_score(_is_positive(y, t), p)
            if p.ndim == 1
            else skm.roc_auc_score(y, p, multi_class="ovr", labels=t.classes_)
        ),
        "auc",
        ("binary", "multiclass"),
    ),
    "average_precision": (
        lambda y, p, t: skm.average_precision_score(_is_positive(y, t), p),
        "positive",
        ("binary",),
    ),
    "neg_log_loss": (
        lambda y, p, t: -skm.log_loss(y, p, labels=t.classes_),
        "proba",
        ("binary", "multiclass"),
    ),
    "accuracy": (lambda y, p, t: skm.accuracy_score(y, p), "label", ("binary", "multiclass")),
    "balanced_accuracy": (
        lambda y, p, t: skm.balanced_accuracy_score(y, p),
        "label",
        ("binary", "multiclass"),
    ),
    "f1": (
        lambda y, p, t: skm.f1_score(y, p, pos_label=t.classes_[1]),
        "label",
        ("binary",),
    ),
    "r2": (lambda y, p, t: skm.r2_score(y, p), "label", ("regression",)),
    "neg_mean_squared_error": (
        lambda y, p, t: -skm.mean_squared_error(y, p),
        "label",
        ("regression",),
    ),
    "neg_root_mean_squared_error": (
        lambda y, p, t: -skm.root_mean_squared_error(y, p),
        "label",
        ("regression",),
    ),
    "neg_mean_absolute_error": (
        lambda y, p, t: -skm.mean_absolute_error(y, p),
        "label",
        ("regression",),
    ),
}

_RESPONSES: dict[str, Callable[[Task, np.ndarray], np.ndarray]] = {
    "label": lambda task, output: task.predict(output),
    "proba": lambda task, output: task.predict_proba(output),
    "positive": _positive_proba,
    "auc": _proba_for_auc,
}


def task_metric(task: Task, metric: str | None, y_true: Any, output: np.ndarray) -> float:
    """Score one task's raw network output against its labels.

    Parameters
    ----------
    task : Task
        A fitted task.
    metric : str or None
        A key of :data:`TASK_METRICS`; ``None`` uses the task's default
        (ROC AUC for binary, accuracy for multiclass, R² for regression).
    y_true : array-like of shape (n_samples,)
        Labels, NaN where the row has none for this task.
    output : ndarray
        The task's raw network output for the same rows.

    Returns
    -------
    float
        Greater is better, as for scikit-learn scorers.
    """
    metric = task.metric_name if metric is None else metric
    if metric not in TASK_METRICS:
        raise ValueError(
            f"Unknown metric {metric!r} for task {task.name!r}; expected one of "
            f"{sorted(TASK_METRICS)}."
        )
    function, response, task_types = TASK_METRICS[metric]
    if task.task_type not in task_types:
        raise ValueError(
            f"Metric {metric!r} does not apply to task {task.name!r} of type {task.task_type!r}."
        )
    y_true = pd.Series(np.asarray(y_true, dtype=object) if task.is_classifier else y_true)
    labelled = task.labelled(y_true)
    if not labelled.any():
        return float("nan")
    # Round-trip through the task's encoding: labels get the dtype of
    # ``classes_`` (metrics reject object arrays) and unknown labels are caught.
    y_labelled = task.decode(task.encode(y_true[labelled]))
    prediction = _RESPONSES[response](task, np.asarray(output)[labelled])
    return float(function(y_labelled, prediction, task))


def task_scorer(task: str, metric: str | None = None) -> Callable[[Any, Any, Any], float]:
    """Scorer of one task for ``GridSearchCV(scoring=...)`` or ``cross_validate``.

    Parameters
    ----------
    task : str
        The task (target column) to score.
    metric : str, default=None
        A key of :data:`TASK_METRICS`; ``None`` uses the task's default metric.

    Returns
    -------
    callable
        ``scorer(estimator, X, y) -> float``, greater is better.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn_mtl import MultiTaskRecommender
    >>> from sklearn_mtl.metrics import task_scorer
    >>> search = GridSearchCV(
    ...     MultiTaskRecommender(tasks={"click": "binary", "rating": "regression"}),
    ...     {"lr": [1e-3, 1e-2]},
    ...     scoring={"click_auc": task_scorer("click", "roc_auc"),
    ...              "rating_rmse": task_scorer("rating", "neg_root_mean_squared_error")},
    ...     refit="click_auc",
    ... )
    """
    if metric is not None and metric not in TASK_METRICS:
        raise ValueError(f"Unknown metric {metric!r}; expected one of {sorted(TASK_METRICS)}.")

    def scorer(estimator: Any, X: Any, y: Any) -> float:
        return estimator.score_tasks(X, y, metrics={task: metric})[task]

    scorer.__name__ = f"task_scorer({task!r}, {metric!r})"
    return scorer
