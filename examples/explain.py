"""Explaining a MovieLens model: why these films, which inputs drive each task, how tasks relate
=============================================================================================

Fits one model of rating, like (rating >= 4) and watched (with sampled
unwatched films) with interaction history on MovieLens 100K when it is in the
data home (``$SKLEARN_MTL_DATA``), else on a synthetic log (and says which),
then prints

- one user's top 5 films with "because you rated ..." reasons (titles);
- the permutation importance of each column for each task (held-out rows);
- the tasks' gradient affinity;

and saves the figures to ``explain_figures/`` (``--out``).

    pip install "sklearn-mtl[plot]"
    python examples/explain.py [--epochs 6] [--out explain_figures]
"""

import argparse
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from sklearn.model_selection import train_test_split

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens, make_recommendation_tasks, sample_negatives
from sklearn_mtl.inspection import permutation_importance
from sklearn_mtl.plot import (
    plot_explanation,
    plot_permutation_importance,
    plot_task_affinity,
    plot_training_curves,
)

TASKS = {"watched": "binary", "rating": "regression", "like": "binary"}


def load():
    """(train, test, item titles, feature columns): MovieLens when present, else synthetic."""
    home = Path(os.environ.get("SKLEARN_MTL_DATA", Path.home() / "sklearn_mtl_data"))
    if (home / "ml-100k" / "u.data").is_file():
        ml = fetch_movielens("100k", folds=True)
        frame = ml.frame.assign(
            like=(ml.frame["rating"] >= 4).astype(float),
            year=ml.frame["year"].fillna(ml.frame["year"].median()),
        )
        train, test = (frame.iloc[rows] for rows in ml.folds[0])
        titles = frame.drop_duplicates("item_id").set_index("item_id")["title"]
        print(f"MovieLens 100K u1: {len(train)} training ratings")
        return train, test, titles, ["user_id", "item_id", "age", "gender", "occupation", "year"]
    X, y = make_recommendation_tasks(n_samples=40_000, random_state=0)
    frame = X.join(y[["rating"]]).dropna(subset=["rating"])
    frame = frame.assign(like=(frame["rating"] >= 4).astype(float))
    train, test = train_test_split(frame, test_size=0.2, random_state=0)
    items = frame.drop_duplicates("item_id").set_index("item_id")
    titles = items.index.to_series() + " (" + items["item_category"] + ")"
    print(f"MovieLens 100K is not in the data home: a synthetic log of {len(train)} ratings")
    return train, test, titles, ["user_id", "item_id", "age", "gender", "segment", "price"]


def main() -> None:
    parser = argparse.ArgumentParser(description="Explaining a MovieLens model.")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--out", type=Path, default=Path("explain_figures"))
    args = parser.parse_args()
    torch.set_num_threads(1)

    train, test, titles, columns = load()
    data = sample_negatives(train[[*columns, "rating", "like"]], n_negatives=4, random_state=0)
    model = MultiTaskRecommender(
        TASKS, user_col="user_id", item_col="item_id", interaction_task="watched",
        interaction_history=True, history_pooling="sigmoid_sum", weight_decay=1e-3,
        loss_weighting="uncertainty", batch_size=2048, lr=2e-3, max_epochs=args.epochs,
        validation_fraction=0.1, random_state=0, verbose=1,
    ).fit(data[columns], data[list(TASKS)])  # fmt: skip

    user = train["user_id"].iloc[0]
    top = model.recommend([user], k=5, rank_by={"watched": 1.0, "like": 1.0}, explain=True)
    print(f"Top 5 for user {user}, ranked by watched + like:")
    for (rank, item), rows in top.groupby(["rank", "item_id"], sort=True):
        history = rows[rows.reason_kind == "history"]
        because = "; ".join(titles[r] for r in history["reason"])
        feature_rows = rows[rows.reason_kind == "feature"]
        features = ", ".join(f"{r.reason} {r.contribution:+.3f}" for r in feature_rows.itertuples())
        print(f"  {rank}. {titles[item]} (score {rows['score'].iloc[0]:.3f})")
        print(f"     because you rated: {because}")
        print(f"     features: {features}")

    # Held-out impressions: u1.test's ratings and as many sampled unwatched films.
    held_out = sample_negatives(test[[*columns, "rating", "like"]], n_negatives=1,
                                random_state=1).sample(4000, random_state=0)  # fmt: skip
    importance = permutation_importance(model, held_out[columns], held_out[list(TASKS)],
                                        n_repeats=3, random_state=0)  # fmt: skip
    print("\nPermutation importance on 4,000 held-out impressions (drop of each task's metric):")
    print(importance.pivot(index="feature", columns="task", values="importance_mean").round(4))
    affinity = model.task_affinity(data[columns].head(20000), data[list(TASKS)].head(20000))
    print("\nTask gradient affinity (cosine on the shared layers):")
    print(affinity.round(3))

    args.out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(2, 2, figsize=(14, 10))
    explanation = model.explain([user], [top["item_id"].iloc[0]], n_reasons=5,
                                rank_by={"watched": 1.0, "like": 1.0})  # fmt: skip
    plot_explanation(explanation, labels=titles.to_dict(), ax=axes[0, 0])
    plot_permutation_importance(importance, ax=axes[0, 1])
    plot_task_affinity(affinity, ax=axes[1, 0])
    plot_training_curves(model, ax=axes[1, 1])
    fig.tight_layout()
    fig.savefig(args.out / "explain.png", dpi=90)
    print(f"\nfigures saved to {args.out / 'explain.png'}")


if __name__ == "__main__":
    main()
