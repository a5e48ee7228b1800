"""Multi-task against single-task, task by task
===============================================

One multi-task model of click, like and rating against one single-task model
per task with the same network, on the built-in synthetic log where like and
rating are labelled on only 30% of the rows (the sparse tasks are the ones
that can borrow from the dense one). Three seeds; the figure shows each
task's test metric (ROC AUC for click and like, R² for rating), the mean and
the spread over seeds. About 15 s on two cores.

    python examples/multi_vs_single.py
"""

import matplotlib
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks

rows = []
for seed in range(3):
    X, y = make_recommendation_tasks(
        n_users=200, n_items=100, n_samples=20_000, missing_fraction=0.7, random_state=seed
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=seed)
    params = dict(max_epochs=20, lr=3e-3, early_stopping=True, batch_size=512, random_state=seed)
    # The first multi-task fit prints its epochs; the other fits run silently.
    multi = MultiTaskRecommender(**params, verbose=int(seed == 0)).fit(X_train, y_train)
    multi = multi.score_tasks(X_test, y_test)
    for task in y.columns:
        single = MultiTaskRecommender(**params).fit(X_train, y_train[[task]])
        score = single.score_tasks(X_test, y_test[[task]])[task]
        rows += [
            {"seed": seed, "task": task, "model": "multi-task", "score": multi[task]},
            {"seed": seed, "task": task, "model": "single-task", "score": score},
        ]
results = pd.DataFrame(rows)

# %%
# Mean and standard deviation over the seeds, per task.
table = results.pivot_table(index="task", columns="model", values="score", aggfunc=["mean", "std"])
print(table.round(4))

# %%
# The same as a figure: one panel per task, each with its own scale.
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), constrained_layout=True)
for ax, task in zip(axes, ["click", "like", "rating"], strict=True):
    means, spreads = table.loc[task, "mean"], table.loc[task, "std"]
    ax.bar(means.index, means, yerr=spreads, color=["C0", "C1"], capsize=4)
    ax.set_ylim(min(means - 2 * spreads) - 0.02, max(means + 2 * spreads) + 0.01)
    metric = "R²" if task == "rating" else "ROC AUC"
    ax.set_title(f"{task} ({metric}, test)")
