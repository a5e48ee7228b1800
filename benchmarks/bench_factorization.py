"""Factorization terms, embedding decay and SVD++ pooling on MovieLens 100K u1 (validation only).

Rating + like from user, item, age, gender and occupation; a random 10% of
u1.base is held out for validation (u1.test is not read). Each setting prints
its validation RMSE and like AUC, its epochs and its fit time, with one torch
thread (``--threads``). Every setting is spelled out in full, so that its
figure does not move when a default does; the last two are today's
defaults, the baseline of the same run.

    python benchmarks/bench_factorization.py [--threads 1] [--settings NAME ...]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens

#: The defaults before the factorization terms (10 epochs, no early stopping).
BEFORE = dict(
    factorization_terms=False, embedding_decay=0.0, history_pooling="mean", embedding_dim=16,
    batch_size=256, lr=1e-3, early_stopping=False, max_epochs=10,
)  # fmt: skip
TERMS = dict(BEFORE, factorization_terms=True)
#: Early stopping as it was then: 10% held out, patience 5, at most 60 epochs.
LONG = dict(
    TERMS, embedding_decay=8.0, embedding_dim=32, early_stopping=True, validation_fraction=0.1,
    n_iter_no_change=5, max_epochs=60,
)  # fmt: skip
HISTORY = dict(interaction_history=True)
SETTINGS = {
    "defaults before the terms (10 epochs)": BEFORE,
    "same + history": dict(BEFORE, **HISTORY),
    "terms, embedding_decay=0 (10 epochs)": TERMS,
    "terms, decay 8, early stopping, d=32": LONG,
    "terms, decay 8, history, d=32": dict(LONG, **HISTORY),
    "terms, decay 8, history, sqrt pooling": dict(LONG, history_pooling="sqrt", **HISTORY),
    "same, 5% held out for early stopping": dict(
        LONG, history_pooling="sqrt", validation_fraction=0.05, **HISTORY
    ),
    "terms, decay 16, history": dict(LONG, embedding_decay=16.0, **HISTORY),
    "today's defaults": {},
    "today's defaults + history": HISTORY,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--settings", nargs="+", choices=list(SETTINGS), default=list(SETTINGS), metavar="NAME",
        help="which settings to run (all by default)",
    )  # fmt: skip
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
    for name in args.settings:
        params = SETTINGS[name]
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
