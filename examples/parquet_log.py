"""Train from a folder of Parquet files, a chunk at a time
=======================================================

The log is written here from synthetic data; with your own, point
``ParquetLog`` at the folder your pipeline (Spark, pandas, DuckDB) writes.

    pip install "sklearn-mtl[parquet]"
    python examples/parquet_log.py
"""

import tempfile
from pathlib import Path

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import ParquetLog, make_recommendation_tasks

TASKS = {"click": "binary", "like": "binary", "rating": "regression"}


def main() -> None:
    folder = Path(tempfile.mkdtemp()) / "log"
    folder.mkdir()
    for k in range(4):  # four files, as a daily job would write them
        X, y = make_recommendation_tasks(n_samples=25_000, random_state=k)
        X.join(y).to_parquet(folder / f"day-{k}.parquet", row_group_size=10_000)
    X_new, y_new = make_recommendation_tasks(n_samples=5_000, random_state=99)  # a later day

    log = ParquetLog(folder, chunk_rows=10_000)
    ids = ["user_id", "item_id", "gender", "segment", "item_category"]
    categories = log.categories(ids)  # one pass, only these columns
    print(f"{len(log):,} rows in {log.n_parts()} row groups; "
          f"{len(categories['user_id'])} users, {len(categories['item_id'])} items")  # fmt: skip

    model = MultiTaskRecommender(
        TASKS, categories=categories, max_epochs=2, random_state=0, verbose=1
    )
    model.fit(log)  # two passes, one chunk in memory at a time
    print(f"{model.n_iter_} training calls (one per chunk and pass)")
    scores = model.score_tasks(X_new, y_new[list(TASKS)])
    print("metrics on a later day:", {task: round(value, 3) for task, value in scores.items()})


if __name__ == "__main__":
    main()
