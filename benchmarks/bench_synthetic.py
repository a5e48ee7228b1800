"""MMoE against shared-bottom on the MMoE paper's synthetic data (Ma et al., KDD 2018, §3.2).

At task correlations 0.5, 0.9 and 1.0 and several seeds, trains with the
paper's sizes (MMoE: 8 experts of 16 units, towers of 8; shared-bottom: one
shared layer of 113 units, towers of 8, about the same number of parameters)
and, for reference, the single-task twin. Prints the test MSE of each task,
averaged over seeds. The paper finds MMoE below shared-bottom, with the gap
widest at low correlation.

    python benchmarks/bench_synthetic.py [--seeds 3] [--epochs 40]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.metrics import mean_squared_error

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_mmoe_synthetic

MODELS = {
    "mmoe": dict(architecture="mmoe", n_experts=8, shared_units=(16,), tower_units=(8,)),
    "shared_bottom": dict(architecture="shared_bottom", shared_units=(113,), tower_units=(8,)),
    "single": dict(architecture="single", shared_units=(16,), tower_units=(8,)),
}


def n_parameters(model: MultiTaskRecommender) -> int:
    return sum(p.numel() for p in model.net_.module_.parameters())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--n-test", type=int, default=5_000)
    args = parser.parse_args()

    rows = []
    sizes = {}
    start_all = time.perf_counter()
    for correlation in (0.5, 0.9, 1.0):
        for seed in range(args.seeds):
            X, y = make_mmoe_synthetic(
                args.n_train + args.n_test, correlation=correlation, random_state=seed
            )
            X_train, X_test = X[: args.n_train], X[args.n_train :]
            y_train, y_test = y.iloc[: args.n_train], y.iloc[args.n_train :]
            for name, params in MODELS.items():
                model = MultiTaskRecommender(
                    **params, max_epochs=args.epochs, batch_size=128, lr=1e-3, random_state=seed
                ).fit(X_train, y_train)
                sizes[name] = n_parameters(model)
                pred = model.predict(X_test)
                for task in ("y1", "y2"):
                    rows.append(
                        dict(
                            correlation=correlation,
                            seed=seed,
                            model=name,
                            task=task,
                            mse=mean_squared_error(y_test[task], pred[task]),
                        )
                    )
    results = pd.DataFrame(rows)
    table = results.pivot_table(
        index=["correlation", "model"], columns="task", values="mse", aggfunc="mean"
    )
    table["mean"] = table[["y1", "y2"]].mean(axis=1)
    spread = results.groupby(["correlation", "model"])["mse"].std() / np.sqrt(2 * args.seeds)
    table["stderr"] = spread
    print(f"train={args.n_train} test={args.n_test} epochs={args.epochs} seeds={args.seeds}")
    print("parameters:", ", ".join(f"{k}={v}" for k, v in sizes.items()))
    print("test MSE (mean over seeds):")
    print(table.round(4).to_string())
    gap = table.xs("shared_bottom", level="model")["mean"] - table.xs("mmoe", level="model")["mean"]
    print("\nshared_bottom minus mmoe (positive = MMoE better):")
    print(gap.round(4).to_string())
    print(f"\ntotal time {time.perf_counter() - start_all:.0f} s")


if __name__ == "__main__":
    main()
