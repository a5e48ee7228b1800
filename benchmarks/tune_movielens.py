"""Choose the settings of ``bench_movielens.py`` on validation splits carved from training data.

The test splits are never read here:

- rating RMSE, fold uN: a random 10% of uN.base (seeded) is the validation
  split; the models train on the other 90%. Each fold gets the grid point with
  the lowest validation RMSE of the multi-task + history model, chosen on its
  own base only (another fold's base holds this fold's test ratings).
- leave-one-out ranking: each user's latest rating stays the test item (as in
  the benchmark); the second-latest is the validation item, and the models
  train on the rest. The grid point with the best validation HR@10 of the
  watched + history model is chosen.

It prints every grid point with its validation figure and fit time, and
writes the choices to ``benchmarks/movielens_settings.json``, which
``bench_movielens.py`` reads.

    python benchmarks/tune_movielens.py [--folds 5] [--epochs 12] [--skip-rmse] [--skip-loo]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from bench_movielens import (
    FEATURES,
    LOO_NEGATIVES,
    SETTINGS_FILE,
    TASKS,
    impressions,
    load,
    model,
)

from sklearn_mtl.metrics import evaluate_leave_one_out, leave_one_out_split

RMSE_GRID = {
    "mean pooling": dict(history_pooling="mean", history_products=False, weight_decay=0.0),
    "sigmoid_sum, products, decay 1e-3": dict(
        history_pooling="sigmoid_sum", history_products=True, weight_decay=1e-3
    ),
    "sigmoid_sum, products, decay 1e-4": dict(
        history_pooling="sigmoid_sum", history_products=True, weight_decay=1e-4
    ),
    "sigmoid_sum, decay 1e-3": dict(
        history_pooling="sigmoid_sum", history_products=False, weight_decay=1e-3
    ),
}

_LOO_BASE = dict(
    embedding_dim=32, shared_units=(128, 64), batch_size=1024, max_epochs=8,
    resample_negatives=True, lr_schedule="cosine",
)  # fmt: skip
LOO_GRID = {
    "lr 3e-3, products": dict(_LOO_BASE, lr=3e-3, history_products=True),
    "lr 3e-3": dict(_LOO_BASE, lr=3e-3, history_products=False),
    "lr 1e-2, products": dict(_LOO_BASE, lr=1e-2, history_products=True),
}


def validation_split(base: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random 10% of ``base`` for validation, the rest for training."""
    valid = np.random.default_rng(seed).uniform(size=len(base)) < 0.1
    return base[~valid], base[valid]


def tune_rmse(frame: pd.DataFrame, folds: list, n_folds: int, epochs: int) -> dict:
    chosen, rows = {}, []
    for fold, (train_index, _) in enumerate(folds[:n_folds], start=1):
        inner, valid = validation_split(frame.iloc[train_index])
        data = impressions(inner, seed=0)
        scores = {}
        for name, params in RMSE_GRID.items():
            estimator = model(TASKS, True, epochs, 0, **params)
            start = time.perf_counter()
            estimator.fit(data[FEATURES], data[list(TASKS)])
            seconds = time.perf_counter() - start
            pred = np.clip(estimator.predict(valid[FEATURES])["rating"], 1, 5)
            scores[name] = float(np.sqrt(np.mean((pred - valid["rating"]) ** 2)))
            rows.append({"fold": f"u{fold}", "setting": name, "valid RMSE": scores[name],
                         "fit s": seconds})  # fmt: skip
            print(f"  u{fold}  {name:<36} valid RMSE {scores[name]:.4f}  ({seconds:.0f} s)",
                  flush=True)  # fmt: skip
        best = min(scores, key=scores.get)
        chosen[f"u{fold}"] = {"setting": best, "params": RMSE_GRID[best]}
        print(f"  u{fold}: chosen {best!r}\n", flush=True)
    print(pd.DataFrame(rows).pivot_table(index="setting", columns="fold", values="valid RMSE")
          .round(4).to_string(), "\n")  # fmt: skip
    return chosen


def tune_loo(frame: pd.DataFrame) -> dict:
    train, _ = leave_one_out_split(frame)  # the test items are set aside, unread
    inner, valid = leave_one_out_split(train)
    data = impressions(inner, seed=0, n_negatives=LOO_NEGATIVES)
    scores = {}
    for name, params in LOO_GRID.items():
        estimator = model({"watched": "binary"}, True, params["max_epochs"], 0, **params)
        start = time.perf_counter()
        estimator.fit(data[FEATURES], data[["watched"]])
        seconds = time.perf_counter() - start
        result = evaluate_leave_one_out(estimator, inner, valid, rank_by="watched", random_state=0)
        scores[name] = result["hit_rate@10"]
        print(f"  {name:<24} valid HR@10 {result['hit_rate@10']:.4f}  "
              f"NDCG@10 {result['ndcg@10']:.4f}  ({seconds:.0f} s)", flush=True)  # fmt: skip
    best = max(scores, key=scores.get)
    print(f"  chosen {best!r}\n")
    return {"setting": best, "params": LOO_GRID[best]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="how many of u1..u5 to tune")
    parser.add_argument("--epochs", type=int, default=12, help="epochs of the RMSE models")
    parser.add_argument("--skip-rmse", action="store_true")
    parser.add_argument("--skip-loo", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the fits")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads={torch.get_num_threads()}")
    frame, folds = load()
    chosen = {}
    if not args.skip_rmse:
        print(f"1. Rating RMSE: validation = 10% of each uN.base ({args.folds} folds)")
        chosen["rmse"] = tune_rmse(frame, folds, args.folds, args.epochs)
        chosen["rmse_epochs"] = args.epochs
    if not args.skip_loo:
        print("2. Leave-one-out: validation = each user's second-latest item")
        chosen["loo"] = tune_loo(frame)
    # Read just before writing: a tuning of the other part may have run meanwhile.
    path = Path(SETTINGS_FILE)
    settings = json.loads(path.read_text()) if path.is_file() else {}
    settings.update({**chosen, "rmse": {**settings.get("rmse", {}), **chosen.get("rmse", {})}})
    path.write_text(json.dumps(settings, indent=1) + "\n")
    print(f"settings written to {path}")


if __name__ == "__main__":
    main()
