"""Estimator overhead: MultiTaskRecommender.fit against a hand-written PyTorch loop.

Both train the same network (same module class and sizes, same masked
multi-task loss, Adam, same batch size and epochs) on the same 200k rows in
this process. The estimator's time includes everything ``fit`` does (input
checks, encoding, skorch bookkeeping); the plain loop gets pre-encoded tensors.

Target: ratio <= 1.15.

    python benchmarks/bench_overhead.py [--n-samples 200000] [--epochs 3] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.builder import NetworkSpec, build_module
from sklearn_mtl.datasets import make_recommendation_tasks


def plain_loop(model: MultiTaskRecommender, features, targets, epochs: int, batch_size: int):
    """A competent hand-written loop over the network that ``model`` builds."""
    torch.manual_seed(0)
    spec = NetworkSpec(model.get_params(), model.schema_, model.tasks_, catalog=None)
    module = build_module(spec)
    criterion = model.net_.criterion_
    optimizer = torch.optim.Adam(module.parameters(), lr=model.lr, foreach=True)
    n = len(targets)
    generator = torch.Generator().manual_seed(0)
    module.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            outputs = module(features["categorical"][index], features["numeric"][index])
            loss = criterion(criterion.task_losses(outputs, targets[index]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    X, y = make_recommendation_tasks(
        n_users=5000, n_items=2000, n_samples=args.n_samples, random_state=0
    )
    params = dict(max_epochs=args.epochs, batch_size=args.batch_size, random_state=0)
    # Warm-up fit: also gives the encoded data and the loss the plain loop uses.
    model = MultiTaskRecommender(**params).fit(X.head(5000), y.head(5000))
    model.fit(X, y)
    features = {k: torch.as_tensor(v) for k, v in model.schema_.transform(X).items()}
    targets = torch.as_tensor(
        np.column_stack([task.encode(y[name]) for name, task in model.tasks_.items()])
    )

    estimator_times, loop_times = [], []
    for _ in range(args.repeats):
        # Interleave the two so that machine noise hits both alike.
        start = time.perf_counter()
        MultiTaskRecommender(**params).fit(X, y)
        estimator_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        plain_loop(model, features, targets, args.epochs, args.batch_size)
        loop_times.append(time.perf_counter() - start)

    est, loop = float(np.median(estimator_times)), float(np.median(loop_times))
    print(
        f"rows={args.n_samples} epochs={args.epochs} batch_size={args.batch_size} "
        f"threads={torch.get_num_threads()} repeats={args.repeats}"
    )
    print(f"MultiTaskRecommender.fit : {est:7.2f} s (median; runs {np.round(estimator_times, 2)})")
    print(f"plain PyTorch loop       : {loop:7.2f} s (median; runs {np.round(loop_times, 2)})")
    print(f"ratio                    : {est / loop:7.3f}  (target <= 1.15)")


if __name__ == "__main__":
    main()
