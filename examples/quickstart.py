"""Quickstart: one multi-task model against one single-task model per task
=======================================================================

Trains on the built-in synthetic log (no download), prints each task's test
metric for the multi-task model and for single-task baselines of the same
size, and the time each took.

    python examples/quickstart.py
"""

import time

import pandas as pd
from sklearn.model_selection import train_test_split

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks

X, y = make_recommendation_tasks(
    n_users=200, n_items=100, n_samples=30_000, missing_fraction=0.7, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
print(f"{len(X_train)} training rows, {len(X_test)} test rows; labelled share per task:")
print(y_train.notna().mean().round(2).to_string(), "\n")

params = dict(
    max_epochs=30, lr=3e-3, weight_decay=1e-5, early_stopping=True, batch_size=512, random_state=0
)

print("Multi-task model (one line per epoch):")
start = time.perf_counter()
model = MultiTaskRecommender(**params, verbose=1).fit(X_train, y_train)
multi_time = time.perf_counter() - start
multi = model.score_tasks(X_test, y_test)

single, single_time = {}, 0.0
for task in y.columns:
    start = time.perf_counter()
    baseline = MultiTaskRecommender(**params).fit(X_train, y_train[[task]])
    single_time += time.perf_counter() - start
    single[task] = baseline.score_tasks(X_test, y_test[[task]])[task]

metric = {name: task.metric_name for name, task in model.tasks_.items()}
table = pd.DataFrame({"metric": metric, "multi-task": multi, "single-task": single})
print(table.round(4).to_string())
print(f"\nmulti-task: one model, {model.n_iter_} epochs, {multi_time:.1f} s")
print(f"single-task: {len(single)} models, {single_time:.1f} s in all")
