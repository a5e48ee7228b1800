"""Looking inside a trained model: which features drive each task, how the tasks relate,
how the tasks of a mixture share its experts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.utils.validation import check_is_fitted

from .inputs import NetworkInputs, TensorDictDataset
from .metrics import task_scorer
from .modules import MultiTaskNetwork
from .training import BatchSlicer, MultiTaskLoss
from .training.batching import inference_batches

__all__ = ["mean_gate_weights", "permutation_importance", "task_gradient_affinity"]


def mean_gate_weights(
    network: MultiTaskNetwork,
    features: NetworkInputs,
    task_names: Sequence[str],
    level: int = -1,
    device: str | torch.device = "cpu",
    batch_size: int = 4096,
) -> pd.DataFrame:
    """Mean gate weight of each task on each expert over the rows of ``features``.

    The computation behind ``MultiTaskRecommender.expert_usage``.

    Parameters
    ----------
    network : MultiTaskNetwork
        A network whose architecture has gates (MMoE, PLE).
    features : dict
        Network inputs of the rows (see :mod:`sklearn_mtl.inputs`).
    task_names : sequence of str
        The tasks, in output order (the rows of the result).
    level : int, default=-1
        The extraction level whose gates to read (PLE).
    device : str or torch.device, default="cpu"
        Where ``network`` lives.
    batch_size : int, default=4096
        Rows per forward pass.

    Returns
    -------
    DataFrame of shape (n_tasks, n_experts)
        Each row sums to 1.
    """
    architecture = network.architecture
    n_levels = getattr(architecture, "n_levels", 1)
    if not -n_levels <= level < n_levels:
        raise ValueError(f"level must lie in [{-n_levels}, {n_levels}); got {level}.")
    totals, n_rows = None, 0
    network.eval()
    with torch.inference_mode():
        for batch in inference_batches(features, device, batch_size):
            gates = network.gate_weights(**batch, level=level)
            sums = torch.stack([g.sum(dim=0) for g in gates]).cpu()
            totals = sums if totals is None else totals + sums
            n_rows += len(gates[0])
    return pd.DataFrame(
        (totals / n_rows).numpy().astype(np.float64),
        index=pd.Index(list(task_names), name="task"),
        columns=pd.Index(architecture.expert_names(level), name="expert"),
    )


def permutation_importance(
    model: Any,
    X: Any,
    y: Any,
    n_repeats: int = 5,
    random_state: int | np.random.RandomState | None = None,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """How much each task's own metric drops when one column of ``X`` is shuffled.

    scikit-learn's :func:`~sklearn.inspection.permutation_importance`, scored
    once per task with the task's default metric (ROC AUC, accuracy, R²), so
    that each task gets its own ranking of the columns. A column is shuffled
    as a whole, so an id or a text column counts as one feature, whatever the
    width of its embedding.

    Parameters
    ----------
    model : MultiTaskRecommender
        A fitted model.
    X : DataFrame or array-like of shape (n_samples, n_features)
        Held-out rows (importance on the training rows measures memorization).
    y : DataFrame or array-like
        Their targets, one column per task.
    n_repeats : int, default=5
        Shuffles per column.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffles.
    n_jobs : int, default=None
        Columns scored in parallel (joblib).

    Returns
    -------
    DataFrame
        Columns ``feature``, ``task``, ``importance_mean``, ``importance_std``:
        one row per (feature, task), each task's rows from the most to the
        least important. Positive: the metric drops without the column.

    Examples
    --------
    >>> from sklearn_mtl import MultiTaskRecommender
    >>> from sklearn_mtl.datasets import make_recommendation_tasks
    >>> from sklearn_mtl.inspection import permutation_importance
    >>> X, y = make_recommendation_tasks(n_samples=600, random_state=0)
    >>> model = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y)
    >>> table = permutation_importance(model, X, y, n_repeats=2, random_state=0)
    >>> list(table.columns), sorted(table["task"].unique())
    (['feature', 'task', 'importance_mean', 'importance_std'], ['click', 'like', 'rating'])
    """
    from sklearn.inspection import permutation_importance as permute

    check_is_fitted(model)
    scoring = {task: task_scorer(task) for task in model.tasks_}
    results = permute(model, X, y, scoring=scoring, n_repeats=n_repeats,
                      random_state=random_state, n_jobs=n_jobs)  # fmt: skip
    features = (
        list(X.columns)
        if isinstance(X, pd.DataFrame)
        else [f"x{j}" for j in range(model.n_features_in_)]
    )
    tables = [
        pd.DataFrame({
            "feature": features,
            "task": task,
            "importance_mean": result.importances_mean,
            "importance_std": result.importances_std,
        }).sort_values("importance_mean", ascending=False, kind="stable")
        for task, result in results.items()
    ]  # fmt: skip
    return pd.concat(tables, ignore_index=True)


def task_gradient_affinity(
    network: MultiTaskNetwork,
    criterion: MultiTaskLoss,
    dataset: TensorDictDataset,
    device: str | torch.device = "cpu",
    batch_size: int = 1024,
    max_batches: int | None = None,
) -> pd.DataFrame:
    """Cosine similarity of the tasks' gradients on the shared parameters, averaged over batches.

    The computation behind ``MultiTaskRecommender.task_affinity``. For each
    batch, each task's loss is differentiated with respect to the parameters
    that more than one task trains (``network.shared_parameters()``); the
    similarity of two tasks is the cosine of their gradient vectors, averaged
    over the batches where both have labels.

    Parameters
    ----------
    network : MultiTaskNetwork
    criterion : MultiTaskLoss
        Gives each task's loss on a batch.
    dataset : TensorDictDataset
        Rows with encoded targets.
    device : str or torch.device, default="cpu"
    batch_size : int, default=1024
    max_batches : int, default=None
        Use at most this many batches (in order); ``None``: all.

    Returns
    -------
    DataFrame of shape (n_tasks, n_tasks)
        1 on the diagonal; near 1: the tasks pull the shared layers the same
        way; near 0: unrelated; negative: conflicting.
    """
    shared = [p for p in network.shared_parameters() if p.requires_grad]
    if not shared:
        raise ValueError(
            "task affinity compares the tasks' gradients on shared parameters, and this "
            "architecture shares none (e.g. 'single'); use a multi-task architecture."
        )
    names = [task.name for task in criterion.tasks]
    n_tasks = len(names)
    totals, counts = np.zeros((n_tasks, n_tasks)), np.zeros((n_tasks, n_tasks))
    was_training = network.training
    network.eval()  # no dropout: the gradients of the model as it predicts
    try:
        for step, (features, targets) in enumerate(BatchSlicer(dataset, batch_size=batch_size)):
            if max_batches is not None and step >= max_batches:
                break
            batch = {name: value.to(device) for name, value in features.items()}
            outputs, targets = network.loss_view(network(**batch), targets.to(device))
            losses = criterion.task_losses(outputs, targets)
            gradients = []
            for j, loss in enumerate(losses):
                if torch.isnan(targets[:, j]).all():
                    gradients.append(None)  # no labels of this task in the batch
                    continue
                grads = torch.autograd.grad(loss, shared, retain_graph=True, allow_unused=True)
                flat = torch.cat([
                    (g if g is not None else torch.zeros_like(p)).reshape(-1)
                    for g, p in zip(grads, shared, strict=True)
                ])  # fmt: skip
                gradients.append(flat)
            for i in range(n_tasks):
                for j in range(n_tasks):
                    if gradients[i] is None or gradients[j] is None:
                        continue
                    cosine = torch.nn.functional.cosine_similarity(
                        gradients[i], gradients[j], dim=0
                    )
                    totals[i, j] += float(cosine)
                    counts[i, j] += 1
    finally:
        network.train(was_training)
    with np.errstate(invalid="ignore"):
        affinity = totals / counts
    return pd.DataFrame(affinity, index=pd.Index(names, name="task"), columns=pd.Index(names))
