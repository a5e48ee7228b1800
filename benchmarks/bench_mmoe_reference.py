"""The library's MMoE against a plain PyTorch MMoE of the same shape (MMoE paper's synthetic data).

On ``make_mmoe_synthetic`` at correlation 0.5 (20,000 training rows, 5,000
test rows per seed), trains, for each seed, an MMoE of 8 experts of 16 units
with towers of 8 and a shared bottom of 113 units with towers of 8, 30
epochs, batch 128, Adam at 1e-3, no dropout: once through
``MultiTaskRecommender`` and once as a plain PyTorch loop written here (the
reference of the same run, on the same data). Prints each seed's test MSE
(both tasks averaged) and, per implementation, on how many seeds MMoE beats
its shared bottom and the median MMoE / shared-bottom MSE ratio. One torch
thread per fit, ``--n-jobs`` fits at a time.

    python benchmarks/bench_mmoe_reference.py [--seeds 5] [--n-jobs 2] [--epochs 30]
                                              [--n-train 20000]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from joblib import Parallel, delayed
from torch import nn

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_mmoe_synthetic

N_TRAIN, N_TEST, EPOCHS, BATCH, LR = 20_000, 5_000, 30, 128, 1e-3
LIBRARY = {
    "mmoe": dict(architecture="mmoe", n_experts=8, shared_units=(16,), tower_units=(8,)),
    "shared_bottom": dict(architecture="shared_bottom", shared_units=(113,), tower_units=(8,)),
}


def _tower(width: int) -> nn.Module:
    return nn.Sequential(nn.Linear(width, 8), nn.ReLU(), nn.Linear(8, 1))


class PlainMMoE(nn.Module):
    def __init__(self, n_features: int, n_experts: int = 8, units: int = 16) -> None:
        super().__init__()
        self.experts = nn.ModuleList(
            nn.Sequential(nn.Linear(n_features, units), nn.ReLU()) for _ in range(n_experts)
        )
        self.gates = nn.ModuleList(nn.Linear(n_features, n_experts) for _ in range(2))
        self.towers = nn.ModuleList(_tower(units) for _ in range(2))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        experts = torch.stack([expert(x) for expert in self.experts], dim=1)
        return [
            tower(torch.einsum("ne,ned->nd", torch.softmax(gate(x), dim=1), experts))[:, 0]
            for gate, tower in zip(self.gates, self.towers, strict=True)
        ]


class PlainSharedBottom(nn.Module):
    def __init__(self, n_features: int, units: int = 113) -> None:
        super().__init__()
        self.bottom = nn.Sequential(nn.Linear(n_features, units), nn.ReLU())
        self.towers = nn.ModuleList(_tower(units) for _ in range(2))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        shared = self.bottom(x)
        return [tower(shared)[:, 0] for tower in self.towers]


def plain_fit_predict(cls, X, Y, X_test, seed: int, epochs: int) -> np.ndarray:
    """The plain loop: raw inputs and targets, the sum of the two MSEs, Adam."""
    torch.manual_seed(seed)
    model = cls(X.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    X, Y = torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32)
    for _ in range(epochs):
        order = torch.randperm(len(X))
        for start in range(0, len(X), BATCH):
            rows = order[start : start + BATCH]
            outputs = model(X[rows])
            loss = sum(((out - Y[rows, t]) ** 2).mean() for t, out in enumerate(outputs))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        outputs = model(torch.as_tensor(X_test, dtype=torch.float32))
    return torch.stack(outputs, dim=1).numpy()


def run(seed: int, n_train: int = N_TRAIN, epochs: int = EPOCHS) -> dict[str, float]:
    torch.set_num_threads(1)
    X, y = make_mmoe_synthetic(n_train + N_TEST, correlation=0.5, random_state=seed)
    X_train, X_test = X[:n_train], X[n_train:]
    y_train, y_test = y.iloc[:n_train], y.iloc[n_train:].to_numpy()
    mse = {}
    for name, params in LIBRARY.items():
        model = MultiTaskRecommender(
            **params,
            max_epochs=epochs,
            batch_size=BATCH,
            lr=LR,
            random_state=seed,
            n_threads=1,
            early_stopping=False,  # all 30 epochs on all rows, as the plain loop
        ).fit(X_train, y_train)
        mse[f"library {name}"] = float(((model.predict(X_test).to_numpy() - y_test) ** 2).mean())
    for name, cls in (("mmoe", PlainMMoE), ("shared_bottom", PlainSharedBottom)):
        pred = plain_fit_predict(cls, X_train, y_train.to_numpy(), X_test, seed, epochs)
        mse[f"plain {name}"] = float(((pred - y_test) ** 2).mean())
    return mse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--n-train", type=int, default=N_TRAIN)
    args = parser.parse_args()
    print(f"torch threads=1 per fit, {args.n_jobs} fits at a time")
    results = Parallel(n_jobs=args.n_jobs)(
        delayed(run)(seed, args.n_train, args.epochs) for seed in range(args.seeds)
    )
    for seed, mse in enumerate(results):
        print(f"  seed {seed}: " + ", ".join(f"{k} {v:.4f}" for k, v in mse.items()))
    for kind in ("library", "plain"):
        ratios = np.array([r[f"{kind} mmoe"] / r[f"{kind} shared_bottom"] for r in results])
        print(f"  {kind:<7}: MMoE beats its shared bottom on {int((ratios < 1).sum())} of "
              f"{len(ratios)} seeds, median MSE ratio {np.median(ratios):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
