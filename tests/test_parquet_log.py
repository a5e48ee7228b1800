"""ParquetLog: logs read a chunk at a time, categories known beforehand."""

import numpy as np
import pandas as pd
import pytest
from pandas.api.types import is_numeric_dtype

from sklearn_mtl import MultiTaskRecommender

pytest.importorskip("pyarrow", reason="the parquet extra is not installed")

from sklearn_mtl.datasets import ParquetLog, make_recommendation_tasks

TASKS = {"click": "binary", "rating": "regression"}


@pytest.fixture(scope="module")
def frame():
    X, y = make_recommendation_tasks(n_users=80, n_items=50, n_samples=3000, random_state=0)
    return X.join(y[list(TASKS)])


@pytest.fixture(scope="module")
def folder(frame, tmp_path_factory):
    """The frame in three files of two row groups each."""
    path = tmp_path_factory.mktemp("log")
    for k, part in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[part].to_parquet(path / f"part-{k}.parquet", row_group_size=500)
    return path


def test_length_chunks_and_parts(frame, folder):
    log = ParquetLog(folder, chunk_rows=300)
    assert len(log) == len(frame)
    assert log.n_parts() == 6
    chunks = list(log.chunks())
    assert max(map(len, chunks)) <= 300
    pd.testing.assert_frame_equal(
        pd.concat(chunks, ignore_index=True), frame.reset_index(drop=True)
    )
    shares = [pd.concat(list(log.chunks(part, 2))) for part in range(2)]
    assert sum(map(len, shares)) == len(frame)
    assert set(shares[0].index).isdisjoint(shares[1].index) or len(shares[0]) == 1500


def test_categories_are_exact_over_every_file(frame, folder):
    log = ParquetLog(folder, chunk_rows=200)
    categories = log.categories(["user_id", "segment"])
    assert categories["user_id"] == sorted(frame["user_id"].unique())
    assert categories["segment"] == sorted(frame["segment"].unique())


def test_bad_paths_and_columns_are_named(folder, tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        ParquetLog(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="columns names columns that are not in the log"):
        ParquetLog(folder, columns=["user_id", "nope"])
    with pytest.raises(ValueError, match="not in the log"):
        ParquetLog(folder).categories(["nope"])


def test_a_pass_is_a_training_call_per_chunk(frame, tmp_path):
    """A log of one chunk trains exactly as warm-started fits on the frame, one per pass."""
    frame.to_parquet(tmp_path / "log.parquet")
    from_log = MultiTaskRecommender(TASKS, max_epochs=3, random_state=0)
    from_log.fit(ParquetLog(tmp_path, chunk_rows=10**6))
    X, y = frame.drop(columns=list(TASKS)), frame[list(TASKS)]
    warm = MultiTaskRecommender(TASKS, max_epochs=1, warm_start=True, random_state=0)
    for _ in range(3):
        warm.fit(X, y)
    assert from_log.n_iter_ == warm.n_iter_ == 3
    pd.testing.assert_frame_equal(from_log.predict(X), warm.predict(X))


def test_every_row_group_is_a_chunk(folder):
    model = MultiTaskRecommender(TASKS, max_epochs=2, random_state=0)
    model.fit(ParquetLog(folder, chunk_rows=10**6))
    assert model.n_iter_ == 2 * 6


def test_categories_keep_one_network_and_one_optimizer(frame, folder):
    log = ParquetLog(folder, chunk_rows=250)
    columns = [c for c in frame.columns if c not in TASKS and not is_numeric_dtype(frame[c])]
    categories = log.categories(columns)
    model = MultiTaskRecommender(TASKS, categories=categories, max_epochs=1, random_state=0)
    model.fit(log)
    module, optimizer = model.net_.module_, model.net_.optimizer_
    model.partial_fit(log)
    assert model.net_.module_ is module
    assert model.net_.optimizer_ is optimizer
    assert model.n_iter_ == 2 * len(list(log.chunks()))
    sizes = [len(categories[c]) + 1 for c in model.schema_.categorical_columns_]
    assert model.schema_.cardinalities_ == sizes


def test_without_categories_chunks_grow_the_vocabularies(folder, frame):
    model = MultiTaskRecommender(TASKS, max_epochs=1, random_state=0)
    model.fit(ParquetLog(folder, chunk_rows=100))
    assert len(model.schema_.vocabularies_["user_id"]) == frame["user_id"].nunique()


def test_values_outside_the_categories_are_refused_by_column(frame):
    X, y = frame.drop(columns=list(TASKS)), frame[list(TASKS)]
    categories = {"segment": sorted(X["segment"].unique())[:-1]}
    with pytest.raises(ValueError, match="Column 'segment' holds 1 values that are not in"):
        MultiTaskRecommender(TASKS, categories=categories, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="categories names columns that are not in X"):
        MultiTaskRecommender(TASKS, categories={"nope": [1]}, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="lists values twice"):
        MultiTaskRecommender(TASKS, categories={"segment": ["a", "a"]}, max_epochs=1).fit(X, y)


@pytest.mark.parametrize(
    ("params", "y", "match"),
    [
        ({"tasks": TASKS}, "y", "y=None"),
        ({"tasks": None}, None, "tasks must be a dict"),
        ({"tasks": {"nope": "binary"}}, None, "not in the log"),
        ({"tasks": TASKS, "early_stopping": True}, None, "early_stopping"),
        ({"tasks": TASKS, "lr_schedule": "cosine"}, None, "cosine"),
        ({"tasks": TASKS, "distributed": True}, None, "needs categories"),
    ],
)
def test_what_a_log_cannot_do_is_refused(folder, params, y, match):
    with pytest.raises(ValueError, match=match):
        MultiTaskRecommender(**params).fit(ParquetLog(folder), y)
