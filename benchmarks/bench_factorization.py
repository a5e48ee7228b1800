"""Factorization terms, embedding decay and SVD++ pooling on MovieLens 100K u1 (validation only).

Rating + like from user, item, age, gender and occupation; a random 10% of
u1.base is held out for validation (u1.test is not read). Each setting prints
its validation RMSE and like AUC, its epochs and its fit time, with one torch
thread (``--threads``); the first two lines are today's defaults, the
baseline of the same run.

    python benchmarks/bench_factorization.py [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens

LONG = dict(early_stopping=True, max_epochs=60, embedding_dim=32)
SETTINGS = {
    "defaults (10 epochs)": {},
    "defaults + history": dict(interaction_history=True),
    "terms, embedding_decay=0 (10 epochs)": dict(factorization_terms=True),
    "terms, decay 8": dict(factorization_terms=True, embedding_decay=8.0, **LONG),
    "terms, decay 8, history": dict(
        factorization_terms=True, embedding_decay=8.0, interaction_history=True, **LONG
    ),
    "terms, decay 8, history, sqrt pooling": dict(
        factorization_terms=True,
        embedding_decay=8.0,
        interaction_history=True,
        history_pooling="sqrt",
        **LONG,
    ),
    "terms, decay 16, history": dict(
        factorization_terms=True, embedding_decay=16.0, interaction_history=True, **LONG
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads={torch.get_num_threads()}")
    ml = fetch_movielens("100k", folds=True)
    frame = ml.frame.assign(like=(ml.frame["rating"] >= 4).astype(float))
    base = frame.iloc[ml.folds[0][0]]
    held_out = np.random.default_rng(0).uniform(size=len(base)) < 0.1
    train, valid = base[~held_out], base[held_out]
    features = ["user_id", "item_id", "age", "gender", "occupation"]
    targets = ["rating", "like"]
    for name, params in SETTINGS.items():
        model = MultiTaskRecommender(
            tasks={"rating": "regression", "like": "binary"},
            user_col="user_id",
            item_col="item_id",
            categorical_features=["user_id", "item_id", "gender", "occupation"],
            random_state=0,
            **params,
        )
        start = time.perf_counter()
        model.fit(train[features], train[targets])
        seconds = time.perf_counter() - start
        scores = model.score_tasks(
            valid[features],
            valid[targets],
            metrics={"rating": "neg_root_mean_squared_error", "like": "roc_auc"},
        )
        print(
            f"  {name:<40} valid RMSE {-scores['rating']:.4f}, like AUC {scores['like']:.4f}, "
            f"{model.n_iter_} epochs, fit {seconds:.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
