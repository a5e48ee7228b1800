"""Architectures and loss balancing on one recommendation log
==========================================================

Trains every architecture (shared-bottom, MMoE, PLE, ESMM, and the single-task
twin) with equal loss weights, then MMoE with every loss-balancing strategy,
and prints each task's test metric. ``like`` exists only after a click, the
click → like chain that ESMM is made for.

    python examples/architectures.py
"""

import time

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks

X, y = make_recommendation_tasks(
    n_users=300, n_items=150, n_samples=40_000, missing_fraction=0.3, random_state=0
)
y = y.copy()
y.loc[y["click"] == 0, "like"] = np.nan  # no click, no like label
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

common = dict(max_epochs=8, lr=3e-3, batch_size=512, batch_norm=True, random_state=0)
configurations = {
    "shared_bottom": dict(architecture="shared_bottom"),
    "mmoe": dict(architecture="mmoe", n_experts=4, shared_units=(32,)),
    "ple": dict(
        architecture="ple", n_levels=2, n_task_experts=1, n_shared_experts=2, shared_units=(32,)
    ),
    "esmm": dict(architecture="esmm", esmm_chain=["click", "like"]),
    "single": dict(architecture="single"),
}
configurations |= {
    f"mmoe + {w}": dict(architecture="mmoe", n_experts=4, shared_units=(32,), loss_weighting=w)
    for w in ("uncertainty", "dwa", "gradnorm", "pcgrad")
}

rows = {}
for name, params in configurations.items():
    start = time.perf_counter()
    # The first fit prints its epochs; the others print one line each.
    verbose = int(name == "shared_bottom")
    model = MultiTaskRecommender(**common, **params, verbose=verbose).fit(X_train, y_train)
    rows[name] = {**model.score_tasks(X_test, y_test), "seconds": time.perf_counter() - start}
    weights = {k: round(v, 2) for k, v in model.net_.history[-1].items() if k.startswith("weight_")}
    print(f"{name:<20} final loss weights {weights}")

print("\ntest metrics (click, like: ROC AUC; rating: R²)")
print(pd.DataFrame(rows).T.round(4).to_string())
