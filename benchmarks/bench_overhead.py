"""Estimator overhead: MultiTaskRecommender.fit against a hand-written PyTorch loop.

Both train the same network (built by the same code, same masked multi-task
loss, the same Adam kernel, same batch size and epochs) on the same rows in
this process, for two workloads:

- ``recommender``: 200k rows of ``make_recommendation_tasks`` (ids, side
  features; three tasks), the default network;
- ``small dense``: 32 numeric inputs, one 256-unit shared layer, two
  regression tasks, batch 1024, where per-batch bookkeeping weighs most.

The estimator's time includes everything ``fit`` does (input checks,
encoding, skorch bookkeeping); the plain loop gets pre-encoded tensors.
Both run with one torch thread (set with ``--threads``).

Target: ratio <= 1.10 for both.

    python benchmarks/bench_overhead.py [--n-samples 200000] [--epochs 3] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.builder import NetworkSpec, adam_kernel, build_module
from sklearn_mtl.datasets import make_recommendation_tasks


def plain_loop(model: MultiTaskRecommender, features, targets, epochs: int, batch_size: int):
    """A competent hand-written loop over the network that ``model`` builds.

    Rows are gathered with ``index_select`` (as the estimator does), which is
    ~4x faster than advanced indexing on CPU.
    """
    torch.manual_seed(0)
    module = build_module(NetworkSpec(model.get_params(), model.schema_, model.tasks_, None))
    criterion = model.net_.criterion_
    optimizer = torch.optim.Adam(module.parameters(), lr=model.net_.lr, **adam_kernel("cpu"))
    n = len(targets)
    generator = torch.Generator().manual_seed(0)
    module.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            batch = {name: value.index_select(0, index) for name, value in features.items()}
            outputs = module(**batch)
            loss = criterion(criterion.task_losses(outputs, targets.index_select(0, index)))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return module


def small_dense(n_samples: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(n_samples, 32)), columns=[f"x{j}" for j in range(32)])
    weights = rng.normal(size=(32, 2))
    y = pd.DataFrame(np.tanh(X.to_numpy() @ weights) + 0.1 * rng.normal(size=(n_samples, 2)))
    return X, y.set_axis(["a", "b"], axis=1)


def compare(name: str, X, y, params: dict, epochs: int, repeats: int) -> float:
    params = dict(params, max_epochs=epochs, random_state=0)
    # Warm-up fit: also gives the encoded data and the loss the plain loop uses.
    model = MultiTaskRecommender(**params).fit(X.head(5000), y.head(5000))
    model.fit(X, y)
    features = {k: torch.as_tensor(v) for k, v in model.schema_.transform(X).items()}
    targets = torch.as_tensor(
        np.column_stack([task.encode(y[name]) for name, task in model.tasks_.items()])
    )
    estimator_times, loop_times = [], []
    for _ in range(repeats):
        # Interleave the two so that machine noise hits both alike.
        start = time.perf_counter()
        MultiTaskRecommender(**params).fit(X, y)
        estimator_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        plain_loop(model, features, targets, epochs, params["batch_size"])
        loop_times.append(time.perf_counter() - start)
    est, loop = float(np.median(estimator_times)), float(np.median(loop_times))
    print(f"\n{name}: rows={len(X)} epochs={epochs} batch_size={params['batch_size']}")
    print(
        f"  MultiTaskRecommender.fit : {est:7.2f} s (median; runs {np.round(estimator_times, 2)})"
    )
    print(f"  plain PyTorch loop       : {loop:7.2f} s (median; runs {np.round(loop_times, 2)})")
    print(f"  ratio                    : {est / loop:7.3f}  (target <= 1.10)")
    return est / loop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads={torch.get_num_threads()} repeats={args.repeats}")

    X, y = make_recommendation_tasks(
        n_users=5000, n_items=2000, n_samples=args.n_samples, random_state=0
    )
    compare("recommender", X, y, dict(batch_size=args.batch_size), args.epochs, args.repeats)
    X, y = small_dense(args.n_samples)
    dense = dict(shared_units=(256,), tower_units=(), batch_size=1024)
    compare("small dense", X, y, dense, args.epochs, args.repeats)


if __name__ == "__main__":
    main()
