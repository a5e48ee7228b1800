"""The library's rating model against the plain PyTorch model planned before it, on MovieLens u1.

The reference is written here, in plain PyTorch, from the recipe recorded then:
rating = mu + b_u + b_i + (side-feature biases) + <p_u, q_i> +
head(MLP([p_u, q_i, p_u * q_i])), the head starting at zero; p_u is the
user-id vector plus the user's side-feature vectors (age, gender,
occupation) plus the SVD++ term |N(u)|^-1/2 sum of the rated items' vectors,
q_i the item-id vector plus |N(i)|^-1/2 sum of the raters' vectors, each
training pair's own edge left out of both sums; AdamW with a decay of 4 on
the tables only, d=32, init N(0, 0.01), lr 1e-3, 256 rows a step, early
stopping on 5% of the training rows (patience 5, best epoch restored).

The library's single-task rating model with history runs on the same rows, at
its defaults (``lr="auto"`` is 1e-3 with history) and at ``lr=2e-3``.
``--split validation`` (the default) trains on 90% of u1.base and scores
the other 10%; ``--split test`` trains on u1.base and reads u1.test.
One torch thread (``--threads``).

    python benchmarks/bench_rating_reference.py [--split validation|test] [--seeds 1] [--epochs N]
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens

FEATURES = ["user_id", "item_id", "age", "gender", "occupation"]
USER_SIDE = ["age", "gender", "occupation"]


class ReferenceModel(nn.Module):
    """The issue's model: factorization terms and an MLP head over both sides' vectors."""

    def __init__(self, cardinalities: dict[str, int], ratings: torch.Tensor, mean: float) -> None:
        super().__init__()
        dim = 32
        n_users, n_items = ratings.shape
        self.register_buffer("ratings", ratings)  # 0/1 user x item matrix of the fit rows
        self.register_buffer("n_user", ratings.sum(1))
        self.register_buffer("n_item", ratings.sum(0))
        self.mean = mean

        def table(n: int, width: int = dim) -> nn.Embedding:
            embedding = nn.Embedding(n, width)
            nn.init.normal_(embedding.weight, 0.0, 0.01)
            return embedding

        self.tables = nn.ModuleDict({c: table(n) for c, n in cardinalities.items()})
        self.tables["rated_items"] = table(n_items)  # y_j of SVD++
        self.tables["raters"] = table(n_users)  # its mirror on the item side
        self.biases = nn.ModuleDict({c: nn.Embedding(n, 1) for c, n in cardinalities.items()})
        for bias in self.biases.values():
            nn.init.zeros_(bias.weight)
        self.mlp = nn.Sequential(nn.Linear(3 * dim, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.head = nn.Linear(32, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, batch: dict[str, torch.Tensor], own_edge: torch.Tensor) -> torch.Tensor:
        users, items = batch["user_id"], batch["item_id"]
        p = self.tables["user_id"](users) + sum(self.tables[c](batch[c]) for c in USER_SIDE)
        q = self.tables["item_id"](items)
        # SVD++ terms on both sides, the pair's own edge left out when it is in the matrix.
        rated = self.ratings[users] @ self.tables["rated_items"].weight
        rated = rated - own_edge[:, None] * self.tables["rated_items"](items)
        p = p + rated / (self.n_user[users] - own_edge).clamp(min=1).sqrt()[:, None]
        raters = self.ratings[:, items].T @ self.tables["raters"].weight
        raters = raters - own_edge[:, None] * self.tables["raters"](users)
        q = q + raters / (self.n_item[items] - own_edge).clamp(min=1).sqrt()[:, None]
        bias = sum(self.biases[c](batch[c])[:, 0] for c in self.biases)
        head = self.head(self.mlp(torch.cat([p, q, p * q], dim=1)))[:, 0]
        return self.mean + bias + (p * q).sum(dim=1) + head


def encode(frame: pd.DataFrame, codes: dict[str, dict]) -> dict[str, torch.Tensor]:
    batch = {c: torch.tensor(frame[c].map(m).to_numpy()) for c, m in codes.items()}
    batch["rating"] = torch.tensor(frame["rating"].to_numpy(), dtype=torch.float32)
    return batch


def fit_reference(train: pd.DataFrame, codes: dict, seed: int, epochs: int) -> ReferenceModel:
    torch.manual_seed(seed)
    rows = encode(train, codes)
    stop = torch.as_tensor(np.random.default_rng(seed).uniform(size=len(train)) < 0.05)
    fit_rows, stop_rows = torch.nonzero(~stop)[:, 0], torch.nonzero(stop)[:, 0]
    ratings = torch.zeros(len(codes["user_id"]), len(codes["item_id"]))
    ratings[rows["user_id"][fit_rows], rows["item_id"][fit_rows]] = 1.0
    cardinalities = {c: len(m) for c, m in codes.items()}
    model = ReferenceModel(cardinalities, ratings, float(rows["rating"][fit_rows].mean()))
    tables = [p for n, p in model.named_parameters() if n.startswith("tables.")]
    others = [p for n, p in model.named_parameters() if not n.startswith("tables.")]
    optimizer = torch.optim.AdamW(
        [{"params": tables, "weight_decay": 4.0}, {"params": others, "weight_decay": 0.0}],
        lr=1e-3,
    )
    held = {k: v[stop_rows] for k, v in rows.items()}
    best, best_state, waited = np.inf, None, 0
    for _ in range(epochs):
        model.train()
        order = fit_rows[torch.randperm(len(fit_rows))]
        for start in range(0, len(order), 256):
            batch = {k: v[order[start : start + 256]] for k, v in rows.items()}
            loss = ((model(batch, torch.ones(len(batch["rating"]))) - batch["rating"]) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        score = rmse_reference(model, held)
        if score < best - 1e-5:
            best, best_state, waited = score, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= 5:
                break
    model.load_state_dict(best_state)
    return model


def rmse_reference(model: ReferenceModel, rows: dict[str, torch.Tensor]) -> float:
    model.eval()
    with torch.no_grad():
        # Scored pairs are not in the training matrix: no edge to leave out.
        pred = model(rows, torch.zeros(len(rows["rating"]))).clamp(1, 5)
    return float(((pred - rows["rating"]) ** 2).mean().sqrt())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["validation", "test"], default="validation")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--epochs", type=int, default=None,
        help="most epochs of every model (default: 100 for the reference, the library's own)",
    )  # fmt: skip
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads={torch.get_num_threads()}; u1, {args.split} split")
    ml = fetch_movielens("100k", folds=True)
    frame = ml.frame
    base = frame.iloc[ml.folds[0][0]]
    if args.split == "test":
        train, scored = base, frame.iloc[ml.folds[0][1]]
    else:
        held_out = np.random.default_rng(0).uniform(size=len(base)) < 0.1
        train, scored = base[~held_out], base[held_out]
    codes = {c: {v: k for k, v in enumerate(sorted(frame[c].unique()))} for c in FEATURES}
    models = {
        "reference (plain PyTorch)": None,
        "library defaults + history": {},
        "library + history, lr 2e-3": {"lr": 2e-3},
    }
    for name, params in models.items():
        scores, seconds = [], []
        for seed in range(args.seeds):
            start = time.perf_counter()
            if params is None:
                model = fit_reference(train, codes, seed, args.epochs or 100)
                seconds.append(time.perf_counter() - start)
                scores.append(rmse_reference(model, encode(scored, codes)))
                continue
            model = MultiTaskRecommender(
                tasks={"rating": "regression"}, user_col="user_id", item_col="item_id",
                interaction_history=True, random_state=seed,
                **({"max_epochs": args.epochs} if args.epochs else {}), **params,
            )  # fmt: skip
            model.fit(train[FEATURES], train[["rating"]])
            seconds.append(time.perf_counter() - start)
            pred = model.predict(scored[FEATURES])["rating"]
            scores.append(float(np.sqrt(np.mean((pred - scored["rating"]) ** 2))))
        print(
            f"  {name:<30} RMSE {np.mean(scores):.4f} "
            f"({', '.join(f'{s:.4f}' for s in scores)}), fit {np.mean(seconds):.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
