"""Data-parallel training with torchrun: every process trains one share of each epoch
==================================================================================

Run it with two processes on this machine (CPU, gloo)::

    pip install "sklearn-mtl[distributed]"
    torchrun --standalone --nproc_per_node=2 examples/distributed_training.py

On two machines, start the same command on each with ``--nnodes=2
--node_rank=<0|1> --rdzv-endpoint=<host of node 0>:29500``; on GPUs each
process takes ``cuda:<local rank>`` when ``device="cuda"``. Every process
loads the same data, builds the same vocabularies and ends with the same
weights; the first process prints and saves.
"""

import os
import tempfile

import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks


def main() -> None:
    torch.set_num_threads(1)  # one core per process
    X, y = make_recommendation_tasks(n_samples=20_000, random_state=0)
    train, test = slice(0, 16_000), slice(16_000, None)
    model = MultiTaskRecommender(max_epochs=5, lr=3e-3, random_state=0, distributed=True)
    model.fit(X.iloc[train], y.iloc[train])
    scores = model.score_tasks(X.iloc[test], y.iloc[test])
    folder = os.path.join(tempfile.gettempdir(), "sklearn-mtl-distributed-example")
    model.save(folder)  # written by the first process
    if os.environ.get("RANK", "0") == "0":
        world = os.environ.get("WORLD_SIZE", "1")
        steps = len(model.net_.history[-1, "batches"])
        print(f"{world} processes, {steps} steps per process per epoch")
        # Every process trains silently; the epochs, as the first process logged them.
        print(model.history_frame()[["train_loss", "dur"]].round(4).to_string())
        print("held-out metrics:", {task: round(value, 3) for task, value in scores.items()})
        loaded = MultiTaskRecommender.load(folder)
        print("loaded model predicts the same:", loaded.predict(X.iloc[test]).equals(
            model.predict(X.iloc[test])))  # fmt: skip


if __name__ == "__main__":
    main()
