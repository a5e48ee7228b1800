"""Plots of a trained model: training curves, loss weights, expert usage, task affinity,
permutation importance, and the reasons of a recommendation.

Every function takes the figures' data from the model (or from the table an
inspection function returned), draws on ``ax`` (a new figure's axes when
``None``) and returns the Axes, as scikit-learn's ``*Display.plot`` do.
Needs matplotlib: ``pip install "sklearn-mtl[plot]"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "plot_explanation",
    "plot_expert_usage",
    "plot_loss_weights",
    "plot_permutation_importance",
    "plot_task_affinity",
    "plot_training_curves",
]


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "sklearn_mtl.plot needs matplotlib: pip install 'sklearn-mtl[plot]'."
        ) from None
    return plt.subplots()[1]


def _epoch_axis(ax: Any) -> None:
    """Epochs are whole numbers: no tick at epoch 1.5."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def plot_training_curves(model: Any, ax: Any = None) -> Any:
    """Each task's training loss per epoch, and its validation loss when there was a split.

    Solid lines are training, dashed lines validation, one colour per task
    (from :meth:`~sklearn_mtl.MultiTaskRecommender.history_frame`).

    Parameters
    ----------
    model : MultiTaskRecommender
        A fitted model.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes when None.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_mtl import MultiTaskRecommender
    >>> from sklearn_mtl.datasets import make_recommendation_tasks
    >>> from sklearn_mtl.plot import plot_training_curves
    >>> X, y = make_recommendation_tasks(n_samples=600, random_state=0)
    >>> model = MultiTaskRecommender(max_epochs=3, validation_fraction=0.2).fit(X, y)
    >>> len(plot_training_curves(model).lines)  # 3 tasks x (training, validation)
    6
    """
    history = model.history_frame()
    ax = _axes(ax)
    for k, task in enumerate(model.tasks_):
        colour = f"C{k}"
        ax.plot(history.index, history[f"train_{task}_loss"], color=colour,
                label=f"{task} (train)")  # fmt: skip
        if f"valid_{task}_loss" in history:
            ax.plot(history.index, history[f"valid_{task}_loss"], color=colour,
                    linestyle="--", label=f"{task} (validation)")  # fmt: skip
    _epoch_axis(ax)
    ax.set_ylabel("loss")
    ax.set_title("Loss per task")
    ax.legend()
    return ax


def plot_loss_weights(model: Any, ax: Any = None) -> Any:
    """The weight each task's loss had in each epoch (``weight_<task>`` of ``history_frame``).

    Parameters
    ----------
    model : MultiTaskRecommender
        A fitted model.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes when None.

    Returns
    -------
    matplotlib Axes
    """
    history = model.history_frame()
    ax = _axes(ax)
    for task in model.tasks_:
        ax.plot(history.index, history[f"weight_{task}"], marker="o", label=task)
    _epoch_axis(ax)
    ax.set_ylabel("loss weight")
    ax.set_title(f"Loss weights ({model.loss_weighting})")
    ax.legend()
    return ax


def _heatmap(table: pd.DataFrame, ax: Any, cmap: str, vmin: float, vmax: float, title: str):
    image = ax.imshow(table.to_numpy(dtype=float), cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_xticks(range(table.shape[1]), [str(c) for c in table.columns], rotation=45, ha="right")
    ax.set_yticks(range(table.shape[0]), [str(i) for i in table.index])
    for (i, j), value in np.ndenumerate(table.to_numpy(dtype=float)):
        # Dark text on light cells, light text on dark ones (by the cell's luminance).
        red, green, blue, _ = image.cmap(image.norm(value))
        colour = "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8, color=colour)
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax)
    return ax


def plot_expert_usage(usage: pd.DataFrame, ax: Any = None) -> Any:
    """Heatmap of ``model.expert_usage(X)``: each task's mean gate weight on each expert.

    Parameters
    ----------
    usage : DataFrame
        What :meth:`~sklearn_mtl.MultiTaskRecommender.expert_usage` returns.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes when None.

    Returns
    -------
    matplotlib Axes
    """
    return _heatmap(usage, _axes(ax), "viridis", 0.0, float(usage.to_numpy().max()),
                    "Mean gate weight per expert")  # fmt: skip


def plot_task_affinity(affinity: pd.DataFrame, ax: Any = None) -> Any:
    """Heatmap of ``model.task_affinity(X, y)`` on a diverging scale from -1 to 1.

    Parameters
    ----------
    affinity : DataFrame
        What :meth:`~sklearn_mtl.MultiTaskRecommender.task_affinity` returns.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes when None.

    Returns
    -------
    matplotlib Axes
    """
    return _heatmap(affinity, _axes(ax), "RdBu", -1.0, 1.0, "Task gradient affinity (cosine)")


def plot_permutation_importance(table: pd.DataFrame, ax: Any = None) -> Any:
    """Grouped horizontal bars of ``inspection.permutation_importance``: one bar per task
    and feature, with the standard deviation over repeats as error bars.

    Parameters
    ----------
    table : DataFrame
        What :func:`sklearn_mtl.inspection.permutation_importance` returns.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes when None.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    means = table.pivot(index="feature", columns="task", values="importance_mean")
    stds = table.pivot(index="feature", columns="task", values="importance_std")
    means = means.loc[means.max(axis=1).sort_values().index]  # most important on top
    stds = stds.loc[means.index]
    height = 0.8 / means.shape[1]
    positions = np.arange(len(means))
    for k, task in enumerate(means.columns):
        ax.barh(positions + k * height, means[task], height=height, xerr=stds[task], label=task)
    ax.set_yticks(positions + height * (means.shape[1] - 1) / 2, [str(f) for f in means.index])
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_xlabel("drop of the task's metric when shuffled")
    ax.set_title("Permutation importance per task")
    ax.legend()
    return ax


def plot_explanation(
    explanation: pd.DataFrame, task: str = "score", labels: Any = None, ax: Any = None
) -> Any:
    """Horizontal bars of the reasons of one (user, item) pair from ``model.explain``.

    Parameters
    ----------
    explanation : DataFrame
        Rows of ``explain`` for one pair (the first pair is drawn if there
        are several).
    task : str, default="score"
        The task whose reasons to draw (``"score"``: the fused ranking score).
    labels : mapping, default=None
        Reason → label (e.g. item id → title).
    ax : matplotlib Axes, default=None
    """
    ax = _axes(ax)
    first = explanation.iloc[0]
    pair = explanation[(explanation.iloc[:, 0] == first.iloc[0])
                       & (explanation.iloc[:, 1] == first.iloc[1])]  # fmt: skip
    rows = pair[pair["task"] == task].sort_values("contribution")
    labels = dict(labels or {})
    names = [
        f"{'because of ' if kind == 'history' else ''}{labels.get(reason, reason)}"
        for kind, reason in zip(rows["reason_kind"], rows["reason"], strict=True)
    ]
    colours = ["C0" if kind == "history" else "C1" for kind in rows["reason_kind"]]
    ax.barh(range(len(rows)), rows["contribution"], color=colours)
    ax.set_yticks(range(len(rows)), names)
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_xlabel(f"contribution to {task}")
    ax.set_title(f"Why {labels.get(first.iloc[1], first.iloc[1])} for user {first.iloc[0]}")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color="C0", label="a past item (history)"),
                       Patch(color="C1", label="an input column")], loc="lower right")  # fmt: skip
    return ax
