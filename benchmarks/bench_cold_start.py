"""Cold-start items on MovieLens 100K: do language-model titles let us score new items?

20% of the items (seeded) are held out with all their interactions: the
model never sees them in ``fit``. It trains on impressions of the other items
(``watched`` with 4 sampled negatives per rating, ``rating`` and ``like`` =
rating >= 4 on the rated rows) and is evaluated

- on the cold items: like-AUC and rating RMSE over all their ratings, and
  HR@10 / NDCG@10 of ranking each user's latest cold item against 99 cold
  items the user never rated (ranked by ``watched``);
- on warm items: the same metrics on a held-out 10% of the warm ratings
  (each user's latest held-out warm rating ranked against 99 warm items).

Two models, identical but for the text: (a) ids and side features (genres,
year, user demographics); (b) the same plus the title, embedded by
all-MiniLM-L6-v2 (``text_features=["title"]``). Also prints the time spent
encoding titles against the training time.

The epochs of each model are chosen per seed on validation data carved from
that seed's training ratings only (20% of the training items held out as
validation cold items, scored by cold HR@10); the test rows are read once,
after.

    python benchmarks/bench_cold_start.py [--seeds 3] [--epoch-grid 4 8 16]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens, sample_negatives
from sklearn_mtl.metrics import evaluate_leave_one_out, leave_one_out_split
from sklearn_mtl.text import SentenceEmbedder

USER_FEATURES = ["age", "gender", "occupation", "zip_prefix"]
ITEM_FEATURES = ["genres", "year"]
TASKS = {"watched": "binary", "rating": "regression", "like": "binary"}
#: Epochs searched on the validation cold items of each seed's training data.
EPOCH_GRID = (4, 8, 16)


def load() -> pd.DataFrame:
    ml = fetch_movielens("100k")
    return ml.frame.assign(
        like=(ml.frame["rating"] >= 4).astype(float),
        year=ml.frame["year"].fillna(ml.frame["year"].median()),  # one film has no date
    )


def hold_out_items(frame: pd.DataFrame, rng: np.random.Generator):
    """The rows of 80% of the items, and of the other 20% (cold: never seen in ``fit``)."""
    items = np.unique(frame["item_id"])
    cold_items = rng.choice(items, size=round(0.2 * len(items)), replace=False)
    is_cold = frame["item_id"].isin(cold_items)
    return frame[~is_cold], frame[is_cold]


def split(frame: pd.DataFrame, seed: int):
    """Warm train, warm test (10% of the warm ratings) and cold items (20%, all their ratings)."""
    rng = np.random.default_rng(seed)
    warm, cold = hold_out_items(frame, rng)
    test_mask = rng.uniform(size=len(warm)) < 0.1
    return warm[~test_mask], warm[test_mask], cold


def features_of(text: bool) -> list[str]:
    return ["user_id", "item_id", *USER_FEATURES, *ITEM_FEATURES] + (["title"] if text else [])


def training_rows(train: pd.DataFrame, text: bool, seed: int) -> pd.DataFrame:
    """Impressions: every rating plus 4 sampled unwatched items per rating."""
    rows = train[[*features_of(text), "rating", "like"]]
    return sample_negatives(rows, n_negatives=4, random_state=seed)


def build(text: bool, epochs: int, seed: int) -> MultiTaskRecommender:
    return MultiTaskRecommender(
        TASKS,
        user_col="user_id",
        item_col="item_id",
        interaction_task="watched",
        text_features=["title"] if text else None,
        embedding_dim=16,
        batch_size=512,
        max_epochs=epochs,
        random_state=seed,
    )


def tune_epochs(train, users, items, text: bool, seed: int, grid=EPOCH_GRID) -> int:
    """The epochs with the best validation cold HR@10, from the training ratings only.

    20% of the training items are held out as validation cold items; one model
    trains through the grid with ``warm_start`` (each step continues the same
    run, as a longer fit would) and is scored after each step.
    """
    inner, valid_cold = hold_out_items(train, np.random.default_rng(seed + 1))
    data = training_rows(inner, text, seed)
    features = features_of(text)
    model = build(text, grid[0], seed).set_params(warm_start=True)
    scores, trained = {}, 0
    for epochs in grid:
        model.set_params(max_epochs=epochs - trained)
        model.fit(data[features], data[list(TASKS)])
        trained = epochs
        scores[epochs] = ranking(model, features, valid_cold, users, items, seed)["HR@10"]
    print(f"  validation cold HR@10 by epochs, {'(b)' if text else '(a)'}: "
          + ", ".join(f"{e}: {v:.3f}" for e, v in scores.items()), flush=True)  # fmt: skip
    return max(scores, key=scores.get)


def fit(train: pd.DataFrame, text: bool, epochs: int, seed: int):
    data = training_rows(train, text, seed)
    features = features_of(text)
    model = build(text, epochs, seed)
    start = time.perf_counter()
    model.fit(data[features], data[list(TASKS)])
    return model, features, time.perf_counter() - start, len(data)


def pointwise(model, features, rows: pd.DataFrame) -> dict[str, float]:
    proba = model.predict_proba(rows[features])["like"][:, 1]
    rating = np.clip(model.predict(rows[features])["rating"], 1, 5)
    return {
        "like AUC": roc_auc_score(rows["like"], proba),
        "RMSE": float(np.sqrt(np.mean((rating - rows["rating"].to_numpy()) ** 2))),
    }


def ranking(model, features, rows: pd.DataFrame, users: pd.DataFrame, items: pd.DataFrame, seed):
    """HR@10 / NDCG@10 of each user's latest row of ``rows`` among 99 unseen items of ``rows``."""
    rest, latest = leave_one_out_split(rows, user_col="user_id", time_col="timestamp")

    def score(user_ids, item_ids):
        pairs = pd.concat(
            [
                users.loc[user_ids].reset_index(),
                items.loc[item_ids].reset_index(),
            ],
            axis=1,
        )
        return model.predict_proba(pairs[features])["watched"][:, 1]

    result = evaluate_leave_one_out(score, rest, latest, random_state=seed)
    return {"HR@10": result["hit_rate@10"], "NDCG@10": result["ndcg@10"]}


def run_seed(frame, users, items, seed: int, grid=EPOCH_GRID) -> list[dict]:
    train, warm_test, cold = split(frame, seed)
    print(
        f"seed {seed}: {train.item_id.nunique()} warm items ({len(train)} training ratings), "
        f"{cold.item_id.nunique()} cold items ({len(cold)} ratings never seen in fit)."
    )
    # What encoding costs: every distinct title once, against the training rows.
    titles = train["title"].unique()
    start = time.perf_counter()
    SentenceEmbedder().fit_transform(pd.DataFrame({"title": titles}))
    encode_seconds = time.perf_counter() - start

    rows = []
    for name, text in (("(a) ids + side features", False), ("(b) + title (MiniLM)", True)):
        epochs = tune_epochs(train, users, items, text, seed, grid)
        model, features, seconds, n_rows = fit(train, text, epochs, seed)
        row = {"model": name, "seed": seed, "epochs": epochs, "fit s": seconds}
        for part, data in (("cold", cold), ("warm", warm_test)):
            metrics = pointwise(model, features, data)
            metrics |= ranking(model, features, data, users, items, seed)
            row |= {f"{part} {metric}": value for metric, value in metrics.items()}
        rows.append(row)
    print(
        f"  text encoding: {len(titles)} distinct titles (repeated over {n_rows} training "
        f"rows) in {encode_seconds:.1f} s, model loading included; fit of (a) "
        f"{rows[0]['fit s']:.0f} s, of (b) {rows[1]['fit s']:.0f} s",
        flush=True,
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epoch-grid", type=int, nargs="+", default=list(EPOCH_GRID),
                        help="epochs searched on validation (increasing)")  # fmt: skip
    args = parser.parse_args()

    frame = load()
    users = frame.groupby("user_id")[USER_FEATURES].first()
    items = frame.groupby("item_id")[[*ITEM_FEATURES, "title"]].first()
    rows = []
    for seed in range(args.seeds):
        rows += run_seed(frame, users, items, seed, tuple(args.epoch_grid))

    results = pd.DataFrame(rows)
    table = results.drop(columns="seed").groupby("model", sort=False).mean()
    with pd.option_context("display.width", 200, "display.precision", 3):
        print(f"\nMean over {args.seeds} seed(s):")
        print(table.T)
    per_seed = results.pivot(index="seed", columns="model", values="cold HR@10")
    gains = per_seed.iloc[:, 1] - per_seed.iloc[:, 0]
    print(f"Cold-item HR@10, (b) - (a), per seed: {', '.join(f'{g:+.3f}' for g in gains)}")


if __name__ == "__main__":
    main()
