"""Choose the settings of ``bench_movielens.py`` on validation splits carved from training data.

The test splits are never read here:

- rating RMSE, fold uN: a random 10% of uN.base (seeded) is the validation
  split; the models train on the other 90%. Each fold gets the grid point with
  the lowest validation RMSE, chosen on its own base only (another fold's base
  holds this fold's test ratings), once for the multi-task + history model and
  once for the single-task rating + history model.
- leave-one-out ranking: each user's latest rating stays the test item (as in
  the benchmark); the second-latest is the validation item, and the models
  train on the rest. The grid point with the best validation HR@10 of the
  watched + history model is chosen.
- multi-task weighting: on the same leave-one-out validation items, the
  adaptive loss weighting whose worst task (watched HR@10, rating RMSE, like
  AUC) comes closest to its single-task twin is chosen.

It prints every grid point with its validation figure and fit time, and
writes the choices to ``benchmarks/movielens_settings.json``, which
``bench_movielens.py`` reads.

    python benchmarks/tune_movielens.py [--folds 5] [--epochs 50]
                                        [--skip-rmse] [--skip-loo] [--skip-twins]
                                        [--rmse-models multi-task single-task]
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
    ADAPTIVE_WEIGHTINGS,
    FEATURES,
    LOO_NEGATIVES,
    SETTINGS_FILE,
    TASKS,
    impressions,
    load,
    model,
    multi_task_figures,
    single_task_twins,
    worst_relative_gap,
)

from sklearn_mtl.metrics import evaluate_leave_one_out, leave_one_out_split

# Around the library's defaults (batch_size="auto", embedding_dim=32,
# embedding_decay=6, lr="auto" (1e-3 with history), "sqrt" history pooling,
# early stopping on 5% of the rows), which were chosen on the u1 validation
# split of the rating + like model: the rate, decay and width that matter
# most, and a wider shared MLP.
RMSE_GRID = {
    "defaults": {},
    "decay 4": dict(embedding_decay=4.0),
    "decay 8": dict(embedding_decay=8.0),
    "d=64": dict(embedding_dim=64),
    "lr 5e-4": dict(lr=5e-4),
    "lr 2e-3": dict(lr=2e-3),
    "shared (128, 64)": dict(shared_units=(128, 64)),
    # The multi-task model trains on impressions (5x the ratings): larger steps.
    "batch 4096, lr 4e-3": dict(batch_size=4096, lr=4e-3),
}

_LOO_BASE = dict(
    embedding_dim=32, shared_units=(128, 64), max_epochs=8, resample_negatives=True,
    lr_schedule="cosine", history_products=True,
)  # fmt: skip
# The decay of the tables that suits ratings costs the watched ranking dearly
# (validation HR@10 0.630 at the default 6 against 0.685 without): it is tuned here.
LOO_GRID = {
    "batch 1024, lr 3e-3": dict(_LOO_BASE, batch_size=1024, lr=3e-3),
    "batch 1024, lr 3e-3, table decay 1": dict(
        _LOO_BASE, batch_size=1024, lr=3e-3, embedding_decay=1.0
    ),
    "batch 1024, lr 3e-3, no table decay": dict(
        _LOO_BASE, batch_size=1024, lr=3e-3, embedding_decay=0.0
    ),
    # history_dropout="auto" (0.8) keeps explanations pointing the right way
    # after long training; the ranking may prefer the lighter dropout.
    "batch 1024, lr 3e-3, no table decay, history dropout 0.5": dict(
        _LOO_BASE, batch_size=1024, lr=3e-3, embedding_decay=0.0, history_dropout=0.5
    ),
}


def validation_split(base: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random 10% of ``base`` for validation, the rest for training."""
    valid = np.random.default_rng(seed).uniform(size=len(base)) < 0.1
    return base[~valid], base[valid]


#: The models whose settings are tuned for RMSE: the multi-task model on
#: impressions and the single-task rating model on the ratings alone (5x fewer
#: rows, so its best batch size and rate differ).
RMSE_MODELS = {"multi-task": TASKS, "single-task": {"rating": "regression"}}


def tune_rmse(
    frame: pd.DataFrame, folds: list, n_folds: int, epochs: int, kinds: list[str]
) -> dict:
    chosen, rows = {kind: {} for kind in kinds}, []
    for fold, (train_index, _) in enumerate(folds[:n_folds], start=1):
        inner, valid = validation_split(frame.iloc[train_index])
        for kind in kinds:
            tasks = RMSE_MODELS[kind]
            data = impressions(inner, seed=0) if "watched" in tasks else inner
            scores = {}
            for name, params in RMSE_GRID.items():
                estimator = model(tasks, True, epochs, 0, **params)
                start = time.perf_counter()
                estimator.fit(data[FEATURES], data[list(tasks)])
                seconds = time.perf_counter() - start
                pred = np.clip(estimator.predict(valid[FEATURES])["rating"], 1, 5)
                scores[name] = float(np.sqrt(np.mean((pred - valid["rating"]) ** 2)))
                rows.append({"model": kind, "fold": f"u{fold}", "setting": name,
                             "valid RMSE": scores[name], "fit s": seconds})  # fmt: skip
                print(f"  u{fold}  {kind:<11} {name:<44} valid RMSE {scores[name]:.4f}  "
                      f"({seconds:.0f} s)", flush=True)  # fmt: skip
            best = min(scores, key=scores.get)
            chosen[kind][f"u{fold}"] = {"setting": best, "params": RMSE_GRID[best]}
            print(f"  u{fold} {kind}: chosen {best!r}\n", flush=True)
    table = pd.DataFrame(rows).pivot_table(
        index=["model", "setting"], columns="fold", values="valid RMSE"
    )
    print(table.round(4).to_string(), "\n")
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


def tune_twins(frame: pd.DataFrame, params: dict) -> dict:
    """The adaptive weighting whose worst task is closest to (or best beats) its twin."""
    train, _ = leave_one_out_split(frame)
    inner, valid = leave_one_out_split(train)
    single = single_task_twins(inner, valid, 0, params)
    print("    twins: " + ", ".join(f"{k} {v:.4f}" for k, v in single.items()))
    gaps = {}
    for weighting in ADAPTIVE_WEIGHTINGS:
        multi = multi_task_figures(inner, valid, weighting, 0, params)
        gaps[weighting] = worst_relative_gap(multi, single)
        print(f"  {weighting:<12} " + ", ".join(f"{k} {v:.4f}" for k, v in multi.items())
              + f"; worst task vs twin {gaps[weighting]:+.2%}", flush=True)  # fmt: skip
    best = max(gaps, key=gaps.get)
    print(f"  chosen {best!r}\n")
    return {"weighting": best}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="how many of u1..u5 to tune")
    parser.add_argument(
        "--epochs", type=int, default=50, help="most epochs of the RMSE models (early stopping)"
    )
    parser.add_argument("--skip-rmse", action="store_true")
    parser.add_argument("--skip-loo", action="store_true")
    parser.add_argument("--skip-twins", action="store_true")
    parser.add_argument(
        "--rmse-models", nargs="+", choices=list(RMSE_MODELS), default=list(RMSE_MODELS)
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the fits")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads={torch.get_num_threads()}")
    frame, folds = load()
    chosen = {}
    if not args.skip_rmse:
        print(f"1. Rating RMSE: validation = 10% of each uN.base ({args.folds} folds)")
        chosen["rmse"] = tune_rmse(frame, folds, args.folds, args.epochs, args.rmse_models)
        chosen["rmse_epochs"] = args.epochs
    if not args.skip_loo:
        print("2. Leave-one-out: validation = each user's second-latest item")
        chosen["loo"] = tune_loo(frame)
    if not args.skip_twins:
        print("3. Multi-task weighting: validation = each user's second-latest item")
        loo = chosen.get("loo") or json.loads(Path(SETTINGS_FILE).read_text())["loo"]
        chosen["twins"] = tune_twins(frame, loo["params"])
    # Read just before writing: a tuning of the other part may have run meanwhile.
    path = Path(SETTINGS_FILE)
    settings = json.loads(path.read_text()) if path.is_file() else {}
    rmse = {k: v for k, v in settings.get("rmse", {}).items() if k in RMSE_MODELS}
    for kind, folds_chosen in chosen.get("rmse", {}).items():
        rmse[kind] = {**rmse.get(kind, {}), **folds_chosen}
    settings.update({**chosen, "rmse": rmse})
    path.write_text(json.dumps(settings, indent=1) + "\n")
    print(f"settings written to {path}")


if __name__ == "__main__":
    main()
