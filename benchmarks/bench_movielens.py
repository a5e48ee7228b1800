"""MovieLens 100K: rating RMSE on the official folds and leave-one-out ranking, against peers.

1. Rating RMSE on u1..u5 (mean and per fold): the multi-task model (rating +
   like + watched, trained on impressions with 4 sampled negatives per
   rating), its single-task twin (rating alone), each with and without
   ``interaction_history``, each fold with the settings chosen on its own
   validation split, and scikit-surprise's
   SVD and SVD++ when installed.
2. Leave-one-out HR@10 and NDCG@10 (each user's latest rating held out, ranked
   against 99 sampled unseen items): our ``watched`` model (mean over
   ``--seeds`` seeds, each printed), the multi-task model under every
   loss-balancing strategy (ranked by ``watched``), both on impressions with 8
   negatives per rating, drawn afresh every epoch (settings chosen on the
   validation items),
   most-popular, implicit's BPR and ALS, and LightFM's WARP when installed.
3. Multi-task (rating + like + watched) with the adaptive loss weighting
   chosen on validation, against three single-task twins with the same
   settings, on the leave-one-out split: watched HR@10/NDCG@10, rating RMSE
   and like AUC of each user's held-out rating.
4. Training time of each (one torch thread unless ``--threads``), and the
   ratio of ours to SVD++ (RMSE) and to LightFM's WARP (ranking).

Every setting of our models was chosen on validation splits carved from the
training data by ``tune_movielens.py`` (which prints its grid and writes
``movielens_settings.json``, read here); the test splits are read once, here.

Needs MovieLens 100K in the data home (``$SKLEARN_MTL_DATA`` or
``fetch_movielens``' download). Peers: ``pip install implicit``, then
``pip install setuptools wheel cython && pip install --no-build-isolation
scikit-surprise lightfm`` (both build from source).

    python benchmarks/tune_movielens.py
    python benchmarks/bench_movielens.py [--folds 5] [--seeds 3] [--threads 1]
                                         [--skip-rmse] [--skip-loo] [--skip-twins]
                                         [--rmse-models multi-task single-task]
                                         [--json PATH]

``--json PATH`` also writes every table it prints to ``PATH`` as JSON
(``{"torch_threads", "rmse": [{"model", "mean", "u1", ..., "s/fold", ...}],
"loo": [{"model", "HR@10", "NDCG@10", "users", "seconds", ...}], "twins":
[{"figure", ...}]}``, model names as printed), so that runs can be compared
over time.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens, sample_negatives
from sklearn_mtl.metrics import evaluate_leave_one_out, leave_one_out_split

FEATURES = ["user_id", "item_id", "age", "gender", "occupation", "zip_prefix", "year"]
TASKS = {"rating": "regression", "like": "binary", "watched": "binary"}


def load() -> tuple[pd.DataFrame, list]:
    ml = fetch_movielens("100k", folds=True)
    frame = ml.frame.assign(
        like=(ml.frame["rating"] >= 4).astype(float),
        year=ml.frame["year"].fillna(ml.frame["year"].median()),  # one film has no date
    )
    return frame, ml.folds


def model(tasks: dict, history: bool, epochs: int, seed: int, **params) -> MultiTaskRecommender:
    # Everything else at the library's defaults, unless a tuned setting says otherwise.
    base = dict(
        user_col="user_id", item_col="item_id", interaction_history=history,
        max_epochs=epochs, random_state=seed,
    )  # fmt: skip
    if "watched" in tasks:
        base["interaction_task"] = "watched"
    return MultiTaskRecommender(tasks, **{**base, **params})


#: The settings chosen by tune_movielens.py on validation splits.
SETTINGS_FILE = Path(__file__).with_name("movielens_settings.json")
LOO_NEGATIVES = 8


def impressions(train: pd.DataFrame, seed: int, n_negatives: int = 4) -> pd.DataFrame:
    log = train[[*FEATURES, "rating", "like", "timestamp"]]
    return sample_negatives(log, n_negatives=n_negatives, random_state=seed)


def timed(fit: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = fit()
    return result, time.perf_counter() - start


# ---------------------------------------------------------------- RMSE part


def settings() -> dict:
    if not SETTINGS_FILE.is_file():
        raise SystemExit(
            f"{SETTINGS_FILE.name} is missing: run benchmarks/tune_movielens.py first (it "
            "chooses every setting on validation splits of the training data)."
        )
    return json.loads(SETTINGS_FILE.read_text())


def rmse_ours(train, test, tasks, history, epochs, seed, params):
    if "watched" in tasks:
        data = impressions(train, seed)
    else:
        data = train
    estimator = model(tasks, history, epochs, seed, **params)
    _, seconds = timed(lambda: estimator.fit(data[FEATURES], data[list(tasks)]))
    pred = np.clip(estimator.predict(test[FEATURES])["rating"], 1, 5)
    return float(np.sqrt(np.mean((pred - test["rating"]) ** 2))), seconds


def rmse_surprise(train, test, algorithm):
    from surprise import Dataset, Reader

    reader = Reader(rating_scale=(1, 5))
    trainset = Dataset.load_from_df(train[["user_id", "item_id", "rating"]], reader)
    algo = algorithm(random_state=0)
    _, seconds = timed(lambda: algo.fit(trainset.build_full_trainset()))
    pred = np.array(
        [algo.predict(u, i).est for u, i in zip(test.user_id, test.item_id, strict=True)]
    )
    return float(np.sqrt(np.mean((pred - test["rating"].to_numpy()) ** 2))), seconds


def rmse_table(frame, folds, n_folds, tuned, kinds=("multi-task", "single-task")):
    epochs = tuned["rmse_epochs"]
    single = {"rating": "regression"}
    # Each model with the settings chosen for its kind on each fold's validation split.
    models = {
        "multi-task + history": ("multi-task", TASKS, True),
        "multi-task": ("multi-task", TASKS, False),
        "single-task + history": ("single-task", single, True),
        "single-task": ("single-task", single, False),
    }
    runs: dict[str, tuple[str, Callable]] = {
        name: (kind, lambda tr, te, p, t=tasks, h=history: rmse_ours(tr, te, t, h, epochs, 0, p))
        for name, (kind, tasks, history) in models.items()
        if kind in kinds
    }
    try:
        from surprise import SVD, SVDpp

        runs["surprise SVD"] = ("", lambda tr, te, p: rmse_surprise(tr, te, SVD))
        runs["surprise SVD++"] = ("", lambda tr, te, p: rmse_surprise(tr, te, SVDpp))
    except ImportError:
        print("scikit-surprise is not installed: SVD and SVD++ left out.")
    rows = []
    for name, (kind, run) in runs.items():
        for fold, (train_index, test_index) in enumerate(folds[:n_folds], start=1):
            params = {}
            if kind:
                if f"u{fold}" not in tuned["rmse"].get(kind, {}):
                    raise SystemExit(f"u{fold} was not tuned: run tune_movielens.py --folds {fold}")
                params = tuned["rmse"][kind][f"u{fold}"]["params"]
            rmse, seconds = run(frame.iloc[train_index], frame.iloc[test_index], params)
            rows.append({"model": name, "fold": f"u{fold}", "rmse": rmse, "seconds": seconds})
            print(f"  {name:<24} u{fold}  RMSE {rmse:.4f}  ({seconds:.0f} s)", flush=True)
    table = pd.DataFrame(rows).pivot_table(index="model", columns="fold", values="rmse")
    table.insert(0, "mean", table.mean(axis=1))
    seconds = pd.DataFrame(rows).groupby("model")["seconds"].mean().rename("s/fold")
    return table.join(seconds).sort_values("mean")


# ----------------------------------------------------------------- LOO part


def loo_ours(train, test, tasks, weighting, seed, params):
    data = impressions(train, seed, n_negatives=LOO_NEGATIVES)
    epochs = params["max_epochs"]
    estimator = model(tasks, True, epochs, seed, loss_weighting=weighting, **params)
    _, seconds = timed(lambda: estimator.fit(data[FEATURES], data[list(tasks)]))
    result = evaluate_leave_one_out(estimator, train, test, rank_by="watched", random_state=0)
    return result, seconds


def loo_ours_seeds(train, test, seeds, params):
    """The watched model over several seeds: the mean, and each seed's figures printed.

    Training noise (seed, and the float summation order that the number of
    torch threads changes) moves HR@10 by about 0.01, as much as the gaps
    between the models; the mean over seeds is the figure to compare.
    """
    results, seconds = [], []
    for seed in seeds:
        result, elapsed = loo_ours(train, test, {"watched": "binary"}, "equal", seed, params)
        results.append(result)
        seconds.append(elapsed)
        print(f"    seed {seed}: HR@10 {result['hit_rate@10']:.4f}  "
              f"NDCG@10 {result['ndcg@10']:.4f}  ({elapsed:.0f} s)", flush=True)  # fmt: skip
    mean = {key: float(np.mean([r[key] for r in results])) for key in results[0]}
    for key in ("hit_rate@10", "ndcg@10"):
        print(f"    {key} standard deviation over seeds: "
              f"{np.std([r[key] for r in results], ddof=1):.4f}")  # fmt: skip
    return mean, float(np.mean(seconds))


def item_user_matrix(train):
    from scipy.sparse import csr_matrix

    users = pd.Index(np.unique(train["user_id"]))
    items = pd.Index(np.unique(train["item_id"]))
    matrix = csr_matrix(
        (np.ones(len(train), dtype=np.float32),
         (users.get_indexer(train["user_id"]), items.get_indexer(train["item_id"]))),
        shape=(len(users), len(items)),
    )  # fmt: skip
    return matrix, users, items


def loo_implicit(train, test, algorithm):
    matrix, users, items = item_user_matrix(train)
    algo = algorithm(random_state=0)
    _, seconds = timed(lambda: algo.fit(matrix, show_progress=False))
    user_factors = np.asarray(getattr(algo.user_factors, "to_numpy", lambda: algo.user_factors)())
    item_factors = np.asarray(getattr(algo.item_factors, "to_numpy", lambda: algo.item_factors)())

    def score(u, i):
        return np.einsum(
            "nd,nd->n", user_factors[users.get_indexer(u)], item_factors[items.get_indexer(i)]
        )

    return evaluate_leave_one_out(score, train, test, random_state=0), seconds


def loo_lightfm(train, test):
    from lightfm import LightFM

    matrix, users, items = item_user_matrix(train)
    algo = LightFM(loss="warp", no_components=64, random_state=0)
    _, seconds = timed(lambda: algo.fit(matrix.tocoo(), epochs=30, num_threads=2))

    def score(u, i):
        return algo.predict(
            users.get_indexer(u).astype(np.int32),
            items.get_indexer(i).astype(np.int32),
            num_threads=2,
        )

    return evaluate_leave_one_out(score, train, test, random_state=0), seconds


def loo_table(frame, seeds, params):
    train, test = leave_one_out_split(frame)
    popularity = train["item_id"].value_counts()
    runs: dict[str, Callable] = {
        "most popular": lambda: (
            evaluate_leave_one_out(
                lambda u, i: popularity.reindex(i).fillna(0).to_numpy(),
                train,
                test,
                random_state=0,
            ),
            0.0,
        ),
        f"ours: watched + history, {len(seeds)} seeds": lambda: loo_ours_seeds(
            train, test, seeds, params
        ),
    }
    for weighting in ("equal", "uncertainty", "dwa", "gradnorm", "pcgrad"):
        runs[f"ours: 3 tasks, {weighting}"] = lambda w=weighting: loo_ours(
            train, test, TASKS, w, 0, params
        )
    try:
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        runs["implicit BPR"] = lambda: loo_implicit(train, test, BayesianPersonalizedRanking)
        runs["implicit ALS"] = lambda: loo_implicit(train, test, AlternatingLeastSquares)
    except ImportError:
        print("implicit is not installed: BPR and ALS left out.")
    try:
        import lightfm  # noqa: F401

        runs["LightFM WARP"] = lambda: loo_lightfm(train, test)
    except ImportError:
        print("lightfm is not installed: WARP left out.")
    rows = []
    for name, run in runs.items():
        result, seconds = run()
        rows.append({"model": name, "HR@10": result["hit_rate@10"],
                     "NDCG@10": result["ndcg@10"], "users": result["n_users"],
                     "seconds": seconds})  # fmt: skip
        print(f"  {name:<28} HR@10 {result['hit_rate@10']:.4f}  "
              f"NDCG@10 {result['ndcg@10']:.4f}  ({seconds:.0f} s)", flush=True)  # fmt: skip
    return pd.DataFrame(rows).set_index("model").sort_values("HR@10", ascending=False)


# ------------------------------------------------------- multi-task vs twins

#: The loss weightings that adapt the task weights while training.
ADAPTIVE_WEIGHTINGS = ("uncertainty", "dwa", "gradnorm", "pcgrad")


def task_figures(estimator, train, test, tasks) -> dict[str, float]:
    """Each task's figure on the held-out rows ``test`` (one rating per user)."""
    from sklearn.metrics import roc_auc_score

    figures = {}
    if "watched" in tasks:
        result = evaluate_leave_one_out(estimator, train, test, rank_by="watched", random_state=0)
        figures |= {"watched HR@10": result["hit_rate@10"], "watched NDCG@10": result["ndcg@10"]}
    if "rating" in tasks:
        pred = np.clip(estimator.predict(test[FEATURES])["rating"], 1, 5)
        figures["rating RMSE"] = float(np.sqrt(np.mean((pred - test["rating"]) ** 2)))
    if "like" in tasks:
        proba = estimator.predict_proba(test[FEATURES])["like"][:, 1]
        figures["like AUC"] = float(roc_auc_score(test["like"], proba))
    return figures


def fit_twin(train, tasks, weighting, seed, params):
    """A model of ``tasks`` with the leave-one-out settings, and its fit seconds.

    With ``watched`` it trains on impressions (negatives drawn afresh every
    epoch); without it, on the rated rows alone.
    """
    if "watched" in tasks:
        data = impressions(train, seed, n_negatives=LOO_NEGATIVES)
    else:
        data = train
        params = {k: v for k, v in params.items() if k != "resample_negatives"}
    estimator = model(tasks, True, params["max_epochs"], seed, loss_weighting=weighting, **params)
    _, seconds = timed(lambda: estimator.fit(data[FEATURES], data[list(tasks)]))
    return estimator, seconds


def single_task_twins(train, test, seed, params) -> dict[str, float]:
    """The figures of one single-task model per task, each with the same settings."""
    figures = {}
    for name, task_type in TASKS.items():
        estimator, seconds = fit_twin(train, {name: task_type}, "equal", seed, params)
        figures |= task_figures(estimator, train, test, {name: task_type})
        print(f"    single-task {name:<8} ({seconds:.0f} s)", flush=True)
    return figures


def multi_task_figures(train, test, weighting, seed, params) -> dict[str, float]:
    estimator, seconds = fit_twin(train, TASKS, weighting, seed, params)
    print(f"    multi-task, {weighting:<12} ({seconds:.0f} s)", flush=True)
    return task_figures(estimator, train, test, TASKS)


def worst_relative_gap(multi: dict, single: dict) -> float:
    """The worst task's figure relative to its twin (> 0: the multi-task model is better)."""
    return min(
        (single[k] - multi[k]) / single[k] if "RMSE" in k else (multi[k] - single[k]) / single[k]
        for k in single
    )


def twins_table(frame, weighting, params) -> pd.DataFrame:
    train, test = leave_one_out_split(frame)
    table = pd.DataFrame(
        {
            f"multi-task, {weighting}": multi_task_figures(train, test, weighting, 0, params),
            "single-task twins": single_task_twins(train, test, 0, params),
        }
    )
    return table.assign(difference=table.iloc[:, 0] - table.iloc[:, 1])


def with_time_ratio(table: pd.DataFrame, seconds: str, peer: str) -> pd.DataFrame:
    """The table with each model's fit time as a multiple of ``peer``'s (if it ran)."""
    if peer in table.index and table.loc[peer, seconds] > 0:
        table = table.assign(**{f"x {peer} time": table[seconds] / table.loc[peer, seconds]})
    return table


def table_records(table: pd.DataFrame, index_name: str) -> list[dict]:
    """The rows of a printed table as JSON-ready records, the index as ``index_name``."""
    # NaN (a figure a model has not) is null: JSON has no NaN.
    frame = table.rename_axis(index_name).reset_index().astype(object)
    return frame.where(frame.notna(), None).to_dict("records")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="how many of u1..u5")
    parser.add_argument(
        "--seeds",
        type=int,
        default=3,
        help="seeds of the leave-one-out watched model (its row is their mean)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads of our fits")
    parser.add_argument("--skip-rmse", action="store_true")
    parser.add_argument("--skip-loo", action="store_true")
    parser.add_argument("--skip-twins", action="store_true")
    parser.add_argument(
        "--rmse-models", nargs="+", choices=["multi-task", "single-task"],
        default=["multi-task", "single-task"], help="which of our RMSE models to run",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the tables here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tuned = settings()
    print(f"torch threads={torch.get_num_threads()}; settings chosen on validation splits by "
          f"tune_movielens.py ({SETTINGS_FILE.name}); test splits read once")  # fmt: skip
    frame, folds = load()
    figures: dict = {"torch_threads": torch.get_num_threads()}
    if not args.skip_rmse:
        print(f"1. Rating RMSE on the official folds ({args.folds} of u1..u5)")
        for kind in args.rmse_models:
            chosen = tuned["rmse"][kind]
            for fold in range(1, args.folds + 1):
                print(f"  {kind} u{fold}: {chosen[f'u{fold}']['setting']}")
        table = rmse_table(frame, folds, args.folds, tuned, args.rmse_models)
        table = with_time_ratio(table, "s/fold", "surprise SVD++")
        figures["rmse"] = table_records(table, "model")
        print(table.round(4).to_string(), "\n")
        for name, target in (("single-task + history", 0.885), ("multi-task + history", 0.888)):
            if name in table.index:
                print(f"{name}: {table.loc[name, 'mean']:.4f} (target <= {target})")
        print()
    if not args.skip_loo:
        print(f"2. Leave-one-out ranking, 99 sampled negatives ({tuned['loo']['setting']})")
        table = loo_table(frame, range(args.seeds), tuned["loo"]["params"])
        table = with_time_ratio(table, "seconds", "LightFM WARP")
        figures["loo"] = table_records(table, "model")
        print(table.round(4).to_string())
        print("targets (watched model, mean of 3 seeds): HR@10 >= 0.69, NDCG@10 >= 0.41")
    if not args.skip_twins:
        weighting = tuned["twins"]["weighting"]
        print(f"\n3. Multi-task ({', '.join(TASKS)}), adaptive weighting chosen on validation "
              f"({weighting}), against single-task twins, leave-one-out split")  # fmt: skip
        table = twins_table(frame, weighting, tuned["loo"]["params"])
        figures["twins"] = table_records(table, "figure")
        print(table.round(4).to_string())
        print("target: every task within its twin's figure or better (RMSE: lower is better)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
