"""sklearn_mtl.plot: each figure drawn with Agg, its artists checked against the data."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="the plot extra is not installed")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from sklearn_mtl import MultiTaskRecommender  # noqa: E402
from sklearn_mtl.inspection import permutation_importance  # noqa: E402
from sklearn_mtl.plot import (  # noqa: E402
    plot_expert_usage,
    plot_explanation,
    plot_loss_weights,
    plot_permutation_importance,
    plot_task_affinity,
    plot_training_curves,
)


@pytest.fixture(scope="module")
def model(data):
    X, y = data
    return MultiTaskRecommender(
        architecture="mmoe", loss_weighting="dwa", max_epochs=3, validation_fraction=0.2,
        random_state=0,
    ).fit(X, y)  # fmt: skip


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_training_curves_draw_each_tasks_losses(model):
    ax = plot_training_curves(model)
    history = model.net_.history
    lines = {line.get_label(): line for line in ax.lines}
    assert len(lines) == 2 * len(model.tasks_)
    for task in model.tasks_:
        np.testing.assert_allclose(
            lines[f"{task} (train)"].get_ydata(), history[:, f"train_{task}_loss"]
        )
        np.testing.assert_allclose(
            lines[f"{task} (validation)"].get_ydata(), history[:, f"valid_{task}_loss"]
        )


def test_loss_weights_follow_the_history(model):
    _, ax = plt.subplots()
    assert plot_loss_weights(model, ax=ax) is ax
    for line, task in zip(ax.lines, model.tasks_, strict=True):
        np.testing.assert_allclose(line.get_ydata(), model.net_.history[:, f"weight_{task}"])


def test_heatmaps_hold_one_cell_per_entry(model, data):
    X, y = data
    usage = model.expert_usage(X)
    ax = plot_expert_usage(usage)
    np.testing.assert_allclose(ax.images[0].get_array(), usage.to_numpy())
    assert len(ax.texts) == usage.size
    affinity = model.task_affinity(X, y)
    ax = plot_task_affinity(affinity)
    np.testing.assert_allclose(ax.images[0].get_array(), affinity.to_numpy())
    assert ax.images[0].get_clim() == (-1.0, 1.0)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(affinity.index)


def test_importance_bars_match_the_table(model, data):
    X, y = data
    table = permutation_importance(model, X.head(300), y.head(300), n_repeats=2, random_state=0)
    ax = plot_permutation_importance(table)
    assert len(ax.patches) == len(table)
    drawn = sorted(round(bar.get_width(), 9) for bar in ax.patches)
    assert drawn == sorted(round(v, 9) for v in table["importance_mean"])


def test_an_unfitted_model_is_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        plot_training_curves(MultiTaskRecommender())


def test_explanation_bars_are_the_contributions(data):
    X, y = data
    model = MultiTaskRecommender(
        user_col="user_id", item_col="item_id", interaction_task="click",
        interaction_history=True, max_epochs=2, random_state=0,
    ).fit(X, y)  # fmt: skip
    table = model.explain(X["user_id"].head(1), X["item_id"].head(1))
    ax = plot_explanation(table, labels={X["item_id"].iloc[0]: "a title"})
    score = table[table.task == "score"]
    assert sorted(round(b.get_width(), 9) for b in ax.patches) == sorted(
        round(v, 9) for v in score["contribution"]
    )
    assert len(ax.get_yticklabels()) == len(score)


def test_epoch_axes_have_whole_number_ticks():
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_mtl import MultiTaskRecommender
    from sklearn_mtl.datasets import make_recommendation_tasks
    from sklearn_mtl.plot import plot_loss_weights, plot_training_curves

    X, y = make_recommendation_tasks(n_samples=400, random_state=0)
    model = MultiTaskRecommender(max_epochs=4, random_state=0).fit(X, y)
    for plot in (plot_training_curves, plot_loss_weights):
        ax = plot(model)
        ax.figure.canvas.draw()
        ticks = [tick for tick in ax.get_xticks() if 1 <= tick <= 4]
        assert ticks and all(float(tick).is_integer() for tick in ticks)
