"""What a fitted model says about itself in ``print`` and in a notebook.

Beyond scikit-learn's table of parameters: the tasks with their types and
classes (inferred ones included, which is where a wrong guess shows), the
trainable parameters of each part of the network, the epochs trained, the
last validation metric of each task, and the privacy spent.
"""

from __future__ import annotations

import html
from typing import Any

__all__ = ["describe", "description_html", "description_text"]


def _trainable(module: Any) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def describe(model: Any) -> dict[str, list[tuple[str, str]]]:
    """Sections of (label, value) rows describing a fitted ``model``.

    Examples
    --------
    >>> from sklearn_mtl import MultiTaskRecommender
    >>> from sklearn_mtl.datasets import make_recommendation_tasks
    >>> from sklearn_mtl.description import describe
    >>> X, y = make_recommendation_tasks(n_samples=500, random_state=0)
    >>> model = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y)
    >>> describe(model)["Tasks"][2]
    ('rating', 'regression, mean 3.618, scale 0.8033')
    """
    network = model.net_.module_
    history = model.history_frame()
    last = history.iloc[-1]
    validation = []
    for name, task in model.tasks_.items():
        column = f"valid_{name}_{task.metric_name}"
        if column in history:
            validation.append((name, f"{task.metric_name} {last[column]:.4f}"))
    training = [("epochs trained", str(model.n_iter_))]
    if "train_loss" in history:
        training.append(("last training loss", f"{last['train_loss']:.4f}"))
    if hasattr(model, "privacy_spent_"):
        epsilon, delta = model.privacy_spent_
        training.append(("privacy spent", f"epsilon {epsilon:.3f}, delta {delta:g}"))
    parts = [
        ("embeddings", _trainable(network.embeddings)),
        (f"shared ({model.architecture})", _trainable(network.architecture)),
        ("towers", _trainable(network.towers)),
        ("loss weighting", _trainable(model.net_.criterion_)),
    ]
    sections = {
        "Tasks": [(name, task.describe()) for name, task in model.tasks_.items()],
        "Trainable parameters": [(part, f"{count:,}") for part, count in parts if count]
        + [("total", f"{sum(count for _, count in parts):,}")],
        "Training": training,
    }
    if validation:
        sections["Last validation metric"] = validation
    return sections


def description_text(model: Any) -> str:
    """:func:`describe` as indented lines, for ``print``."""
    lines = []
    for title, rows in describe(model).items():
        lines.append(f"{title}:")
        width = max(len(label) for label, _ in rows)
        lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)


def description_html(model: Any) -> str:
    """:func:`describe` as HTML tables, for a notebook (after scikit-learn's diagram)."""
    blocks = []
    for title, rows in describe(model).items():
        cells = "".join(
            f"<tr><td style='text-align:left;padding-right:1em'>{html.escape(label)}</td>"
            f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
            for label, value in rows
        )
        blocks.append(
            f"<div style='display:inline-block;vertical-align:top;margin-right:2em'>"
            f"<b>{html.escape(title)}</b><table>{cells}</table></div>"
        )
    return f"<div class='sklearn-mtl-description' style='margin-top:0.5em'>{''.join(blocks)}</div>"
