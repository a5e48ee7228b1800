"""Loss weighting compared: each task's test metric, and the weights over the epochs
====================================================================================

Trains the same shared-bottom network under each loss-balancing strategy
(equal, uncertainty, DWA, GradNorm, PCGrad) on the built-in synthetic log
(click on every row, like and rating on a third of the rows), then shows
each task's held-out metric per strategy and how the adaptive strategies
moved the task weights from epoch to epoch (``history_frame``). One seed and
15 epochs, to run in about 10 s on two cores: differences of 0.01 between
strategies are within what another seed would move.

    python examples/loss_weighting.py
"""

import matplotlib
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
from sklearn.model_selection import train_test_split

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks

X, y = make_recommendation_tasks(
    n_users=200, n_items=100, n_samples=20_000, missing_fraction=0.7, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)

scores, weights = {}, {}
for strategy in ("equal", "uncertainty", "dwa", "gradnorm", "pcgrad"):
    model = MultiTaskRecommender(
        loss_weighting=strategy, max_epochs=15, lr=3e-3, batch_size=512,
        validation_fraction=0.1, random_state=0,
        verbose=int(strategy == "equal"),  # the first fit prints its epochs
    ).fit(X_train, y_train)  # fmt: skip
    scores[strategy] = model.score_tasks(X_test, y_test)
    weights[strategy] = model.history_frame()[[f"weight_{task}" for task in y.columns]]
    print(f"{strategy:<12} " + "  ".join(f"{t} {v:.4f}" for t, v in scores[strategy].items()))

# %%
# Each task's test metric (ROC AUC for click and like, R² for rating) per strategy.
table = pd.DataFrame(scores).T
print(table.round(4))

# %%
# The weights each strategy gave the tasks, epoch by epoch ("equal" and
# "pcgrad" keep 1: PCGrad changes the gradients' directions, not the weights).
fig, axes = plt.subplots(1, 4, figsize=(15, 3.4), constrained_layout=True)
table.plot.bar(ax=axes[0], rot=0)
# Room above the bars for the legend, which would hide them elsewhere.
axes[0].set_ylim(table.min().min() - 0.05, table.max().max() + 0.12)
axes[0].set_title("test metric per task")
axes[0].legend(fontsize=8, ncols=3, loc="upper center")
for ax, strategy in zip(axes[1:], ("uncertainty", "dwa", "gradnorm"), strict=True):
    weights[strategy].rename(columns=lambda c: c.removeprefix("weight_")).plot(ax=ax)
    ax.set_title(f"loss weights: {strategy}")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
