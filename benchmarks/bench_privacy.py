"""What differential privacy costs: MovieLens 100K u1 at epsilon 1, 3, 8 and without DP.

A multi-task model (rating regression + like = rating >= 4) on user and item
ids, demographics and the film's year, trained with DP-SGD (``dp_epsilon``;
the privacy unit is one rating) and without. For each epsilon, the batch size,
learning rate and epochs are chosen on a validation split (10% of u1.base,
the rest trains) by the mean of rating R² and like AUC; then each chosen
setting is fitted on all of u1.base with ``--seeds`` seeds and the u1 test
split is read once: rating RMSE, like AUC, the epsilon the accountant
reports, and the fit time. The comparison with the model without DP comes
from the same process. One torch thread (``--threads``).

Needs MovieLens 100K in the data home (``$SKLEARN_MTL_DATA`` or
``fetch_movielens``' download) and the privacy extra.

    python benchmarks/bench_privacy.py [--epsilons 1 3 8 inf] [--seeds 3]
                                       [--max-rows N] [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import roc_auc_score

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens

FEATURES = ["user_id", "item_id", "age", "gender", "occupation", "zip_prefix", "year"]
TASKS = {"rating": "regression", "like": "binary"}
GRID = {"batch_size": [1024, 4096, 16384], "lr": [3e-3, 1e-2, 3e-2], "max_epochs": [3, 10, 30]}
QUICK_GRID = {"batch_size": [512], "lr": [1e-2], "max_epochs": [2]}


def load(max_rows: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    ml = fetch_movielens("100k", folds=True)
    frame = ml.frame.assign(
        like=(ml.frame["rating"] >= 4).astype(float),
        year=ml.frame["year"].fillna(ml.frame["year"].median()),  # one film has no date
    )
    train_rows, test_rows = ml.folds[0]
    train, test = frame.iloc[train_rows], frame.iloc[test_rows]
    if max_rows is not None:
        train = train.sample(min(max_rows, len(train)), random_state=0)
        test = test.sample(min(max_rows // 4, len(test)), random_state=0)
    return train, test


def model(epsilon: float, seed: int, **params) -> MultiTaskRecommender:
    return MultiTaskRecommender(
        TASKS, user_col="user_id", item_col="item_id", embedding_dim=16,
        shared_units=(64, 32), tower_units=(16,), random_state=seed,
        dp_epsilon=None if math.isinf(epsilon) else epsilon, **params,
    )  # fmt: skip


def figures(estimator: MultiTaskRecommender, rows: pd.DataFrame) -> dict[str, float]:
    outputs = estimator.predict_outputs(rows[FEATURES])
    rating = np.clip(outputs["rating"], 1, 5)
    return {
        "rmse": float(np.sqrt(np.mean((rating - rows["rating"]) ** 2))),
        "auc": float(roc_auc_score(rows["like"], outputs["like"])),
        "r2": float(1 - np.mean((rating - rows["rating"]) ** 2) / np.var(rows["rating"])),
    }


def fit_timed(estimator: MultiTaskRecommender, rows: pd.DataFrame) -> float:
    start = time.perf_counter()
    with warnings.catch_warnings():
        # At large epsilon the accountant's best Renyi order lies at the edge of
        # its search; the bound it reports is still an upper bound.
        warnings.filterwarnings("ignore", message="Optimal order is the")
        estimator.fit(rows[FEATURES], rows[list(TASKS)])
    return time.perf_counter() - start


def choose(epsilon: float, train: pd.DataFrame, grid: dict) -> dict:
    """The grid point with the best mean of validation R² (rating) and AUC (like)."""
    valid = train.sample(frac=0.1, random_state=1)
    fit_rows = train.drop(valid.index)
    best, best_score = None, -np.inf
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        estimator = model(epsilon, seed=0, **params)
        seconds = fit_timed(estimator, fit_rows)
        scores = figures(estimator, valid)
        score = (scores["r2"] + scores["auc"]) / 2
        print(f"  eps={epsilon:g} {params}: valid RMSE {scores['rmse']:.4f}, AUC "
              f"{scores['auc']:.4f}, score {score:.4f} ({seconds:.1f} s)")  # fmt: skip
        if score > best_score:
            best, best_score = params, score
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epsilons", type=float, nargs="+", default=[1.0, 3.0, 8.0, math.inf])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-rows", type=int, default=None, help="subsample (smoke tests)")
    parser.add_argument("--quick", action="store_true", help="one grid point (smoke tests)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads={torch.get_num_threads()}")
    train, test = load(args.max_rows)
    print(f"MovieLens 100K u1: {len(train)} training ratings, {len(test)} test ratings")
    grid = QUICK_GRID if args.quick else GRID

    print("Settings chosen on validation (10% of u1.base):")
    chosen = {epsilon: choose(epsilon, train, grid) for epsilon in args.epsilons}

    rows = []
    for epsilon in args.epsilons:
        for seed in range(args.seeds):
            estimator = model(epsilon, seed, **chosen[epsilon])
            seconds = fit_timed(estimator, train)
            spent = getattr(estimator, "privacy_spent_", (math.inf, 0.0))
            rows.append({"epsilon": epsilon, "seed": seed, **figures(estimator, test),
                         "spent": spent[0], "delta": spent[1], "seconds": seconds})  # fmt: skip
    results = pd.DataFrame(rows)
    print("\nu1 test split, per seed:")
    print(
        results.drop(columns="r2").to_string(
            index=False, float_format="%.4f", formatters={"delta": "{:g}".format}
        )
    )
    table = results.groupby("epsilon", sort=False).agg(
        rmse=("rmse", "mean"), rmse_std=("rmse", "std"), auc=("auc", "mean"),
        auc_std=("auc", "std"), spent=("spent", "max"), seconds=("seconds", "mean"),
    )  # fmt: skip
    settings = pd.Series({eps: str(params) for eps, params in chosen.items()}, name="setting")
    table = table.join(settings)
    if math.inf in chosen:
        baseline = table.loc[math.inf]
        table["rmse_vs_no_dp"] = table["rmse"] - baseline["rmse"]
        table["auc_vs_no_dp"] = table["auc"] - baseline["auc"]
        table["time_vs_no_dp"] = table["seconds"] / baseline["seconds"]
    print(f"\nMean over {args.seeds} seeds (std over seeds), against the model without DP:")
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(table.to_string(float_format="%.4f"))


if __name__ == "__main__":
    main()
