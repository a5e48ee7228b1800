"""Run under torchrun by tests/test_distributed.py: one data-parallel fit per process.

    torchrun --standalone --nproc_per_node=2 distributed_fit.py OUT_DIR [options]

Each process writes ``rank<k>.json``: a digest of its parameters, its steps per
epoch, its held-out AUC and its validation losses; rank 0 also saves the model.
"""

import argparse
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks

torch.set_num_threads(1)


def digest(model: MultiTaskRecommender) -> str:
    tensors = [
        *model.net_.module_.state_dict().values(),
        *model.net_.criterion_.state_dict().values(),
    ]
    hasher = hashlib.sha256()
    for tensor in tensors:
        hasher.update(tensor.detach().cpu().numpy().tobytes())
    return hasher.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--loss-weighting", default="equal")
    parser.add_argument("--early-stopping", action="store_true")
    parser.add_argument("--history", action="store_true")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args()

    X, y = make_recommendation_tasks(n_users=200, n_items=100, n_samples=6000, random_state=0)
    train, test = np.arange(5000), np.arange(5000, 6000)
    model = MultiTaskRecommender(
        max_epochs=args.epochs,
        batch_size=128,
        lr=1e-2,
        loss_weighting=args.loss_weighting,
        early_stopping=args.early_stopping,
        user_col="user_id" if args.history else None,
        item_col="item_id" if args.history else None,
        interaction_history=args.history,
        interaction_task="click" if args.history else None,
        random_state=0,
        device=args.device,
        verbose=args.verbose,
        distributed=True,
    )
    model.fit(X.iloc[train], y.iloc[train])
    steps = [len(row["batches"]) for row in model.net_.history]
    valid = model.net_.history[:, "valid_loss"] if args.early_stopping else []
    auc = model.score_tasks(X.iloc[test], y.iloc[test])["click"]
    after_fit = digest(model)
    model.partial_fit(X.iloc[train], y.iloc[train])
    model.save(args.out / "model")
    rank = int(os.environ["RANK"])
    result = {
        "rank": rank,
        "digest": after_fit,
        "digest_after_partial_fit": digest(model),
        "steps": steps,
        "valid_loss": valid,
        "n_iter": model.n_iter_,
        "click_auc": auc,
        "accelerator_left": model.net_.accelerator is not None,
    }
    (args.out / f"rank{rank}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
