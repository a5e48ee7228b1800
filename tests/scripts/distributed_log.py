"""Run under torchrun by tests/test_distributed.py: a data-parallel fit from a Parquet log.

    torchrun --standalone --nproc_per_node=2 distributed_log.py LOG_DIR OUT_DIR

Each process reads its own row groups; it writes ``rank<k>.json`` with a
digest of its parameters, its training calls and its steps per call.
"""

import hashlib
import json
import os
import sys
from pathlib import Path

import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import ParquetLog

torch.set_num_threads(1)

TASKS = {"click": "binary", "rating": "regression"}


def main() -> None:
    log_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    log = ParquetLog(log_dir, chunk_rows=400)
    columns = ["user_id", "item_id", "gender", "segment", "item_category"]
    model = MultiTaskRecommender(
        TASKS, categories=log.categories(columns), categorical_features=columns,
        batch_size=64, max_epochs=2, random_state=0, distributed=True,
    )  # fmt: skip
    model.fit(log)
    hasher = hashlib.sha256()
    for tensor in model.net_.module_.state_dict().values():
        hasher.update(tensor.numpy().tobytes())
    rank = int(os.environ["RANK"])
    result = {
        "digest": hasher.hexdigest(),
        "n_iter": model.n_iter_,
        "steps": [len(row["batches"]) for row in model.net_.history],
        "rows_read": sum(len(chunk) for chunk in log.chunks(rank, 2)),
    }
    (out / f"rank{rank}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
