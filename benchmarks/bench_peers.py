"""MMoE in sklearn_mtl against torch-rechub's MMOE and MTLTrainer, in one process.

Same data (the built-in synthetic log with click and like fully labelled,
since torch-rechub cannot mask missing labels), same features (5 categorical
columns embedded in 16 dimensions, 2 standardized numeric columns), same
network (4 experts of 64-32 units, towers of 16, one softmax gate per task),
same optimizer (Adam, lr 1e-3, no weight decay), batch size and number of
epochs. Prints the training time per epoch and each task's test ROC AUC.

Target: at least 2x faster than torch-rechub at equal or better AUC.

    pip install torch-rechub   # benchmark-only dependency (extra "bench")
    python benchmarks/bench_peers.py [--n-samples 200000] [--epochs 3] [--seeds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks

TASKS = ["click", "like"]
EXPERT_UNITS, TOWER_UNITS, N_EXPERTS, EMBEDDING_DIM = (64, 32), (16,), 4, 16


def run_ours(X_train, y_train, X_test, y_test, epochs, batch_size, seed=0):
    model = MultiTaskRecommender(
        {t: "binary" for t in TASKS},
        architecture="mmoe",
        n_experts=N_EXPERTS,
        shared_units=EXPERT_UNITS,
        tower_units=TOWER_UNITS,
        embedding_dim=EMBEDDING_DIM,
        batch_norm=True,
        lr=1e-3,
        batch_size=batch_size,
        max_epochs=epochs,
        random_state=seed,
    )
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    auc = model.score_tasks(X_test, y_test, metrics=dict.fromkeys(TASKS, "roc_auc"))
    return seconds / epochs, auc


def run_rechub(X_train, y_train, X_test, y_test, epochs, batch_size, seed=0):
    from torch_rechub.basic.features import DenseFeature, SparseFeature
    from torch_rechub.models.multi_task import MMOE
    from torch_rechub.trainers import MTLTrainer
    from torch_rechub.utils.data import DataGenerator

    # Encode the same way our schema does: codes 1..V (0 unseen), standardized numbers.
    sparse = ["user_id", "item_id", "gender", "segment", "item_category"]
    dense = ["age", "price"]

    def encode(frame, reference):
        out = {}
        for col in sparse:
            vocab = {v: i + 1 for i, v in enumerate(reference[col].unique())}
            out[col] = frame[col].map(vocab).fillna(0).to_numpy(np.int64)
        for col in dense:
            mean, std = reference[col].mean(), reference[col].std(ddof=0)
            out[col] = ((frame[col] - mean) / std).to_numpy(np.float32)
        return out

    x_train, x_test = encode(X_train, X_train), encode(X_test, X_train)
    features = [
        SparseFeature(c, vocab_size=X_train[c].nunique() + 1, embed_dim=EMBEDDING_DIM)
        for c in sparse
    ] + [DenseFeature(c) for c in dense]
    torch.manual_seed(seed)  # weights, and the DataLoader's shuffling after it
    model = MMOE(
        features,
        task_types=["classification"] * 2,
        n_expert=N_EXPERTS,
        expert_params={"dims": list(EXPERT_UNITS), "activation": "relu", "dropout": 0.0},
        tower_params_list=[{"dims": list(TOWER_UNITS), "activation": "relu", "dropout": 0.0}] * 2,
    )
    y_tr = y_train[TASKS].to_numpy(np.float32)
    y_te = y_test[TASKS].to_numpy(np.float32)
    train_dl, _, test_dl = DataGenerator(x_train, y_tr).generate_dataloader(
        x_val=x_test, y_val=y_te, x_test=x_test, y_test=y_te, batch_size=batch_size
    )
    with tempfile.TemporaryDirectory() as folder:
        trainer = MTLTrainer(
            model,
            task_types=["classification"] * 2,
            optimizer_params={"lr": 1e-3, "weight_decay": 0.0},
            n_epoch=epochs,
            model_path=folder,
        )
        # Time the training epochs alone (MTLTrainer.fit also validates every epoch).
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for _ in range(epochs):
                trainer.train_one_epoch(train_dl)
        seconds = time.perf_counter() - start
        with contextlib.redirect_stderr(io.StringIO()):
            scores = trainer.evaluate(model, test_dl)  # ROC AUC per classification task
    return seconds / epochs, dict(zip(TASKS, scores, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()

    X, y = make_recommendation_tasks(
        n_users=2000,
        n_items=1000,
        n_samples=args.n_samples,
        missing_fraction=0.0,
        random_state=0,
    )
    y = y[TASKS]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    print(
        f"train={len(X_train)} test={len(X_test)} epochs={args.epochs} "
        f"batch_size={args.batch_size} threads={torch.get_num_threads()}"
    )

    # Warm both up on a slice (thread pools, lazy imports), then time the full runs.
    warm = slice(0, 2000)
    run_ours(X_train[warm], y_train[warm], X_test[warm], y_test[warm], 1, args.batch_size)
    with contextlib.suppress(ImportError):
        run_rechub(X_train[warm], y_train[warm], X_test[warm], y_test[warm], 1, args.batch_size)

    rows = []
    for seed in range(args.seeds):
        data = (X_train, y_train, X_test, y_test, args.epochs, args.batch_size, seed)
        runs = {"sklearn_mtl": run_ours(*data)}
        try:
            runs["torch-rechub"] = run_rechub(*data)
        except ImportError:
            print("torch-rechub is not installed (pip install torch-rechub): ours alone.")
        for library, (seconds, auc) in runs.items():
            rows.append({"library": library, "seed": seed, "s/epoch": seconds, **auc})

    results = pd.DataFrame(rows)
    print(results.round(4).to_string(index=False))
    summary = results.groupby("library")[["s/epoch", *TASKS]].mean()
    print("\nmean over seeds:")
    print(summary.round(4).to_string())
    if len(summary) == 2:
        ours, theirs = summary.loc["sklearn_mtl"], summary.loc["torch-rechub"]
        print(
            f"speed-up: {theirs['s/epoch'] / ours['s/epoch']:.2f}x (target >= 2x); "
            "AUC difference (ours - theirs): "
            + ", ".join(f"{t} {ours[t] - theirs[t]:+.4f}" for t in TASKS)
        )


if __name__ == "__main__":
    main()
