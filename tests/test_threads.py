"""n_threads: torch threads per call, and parallel search on a Dask cluster."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, KFold

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.threads import resolve_threads, torch_threads, worker_thread_budget
from sklearn_mtl.training import MultiTaskNet


@pytest.fixture
def thread_log(monkeypatch):
    """The torch thread count seen by each training call of the net."""
    seen = []
    partial_fit = MultiTaskNet.partial_fit

    def recording(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return partial_fit(self, *args, **kwargs)

    monkeypatch.setattr(MultiTaskNet, "partial_fit", recording)
    return seen


def test_n_threads_applies_to_the_call_and_is_restored(data, thread_log):
    X, y = data
    before = torch.get_num_threads()
    model = MultiTaskRecommender(max_epochs=1, n_threads=2, random_state=0).fit(X, y)
    assert thread_log == [2]
    assert torch.get_num_threads() == before
    model.partial_fit(X, y)
    assert thread_log == [2, 2]
    assert torch.get_num_threads() == before


def test_none_keeps_the_callers_setting(data, thread_log):
    X, y = data
    with torch_threads(1):
        MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y)
    assert thread_log == [1]


def test_setting_is_restored_when_the_call_fails(data):
    X, y = data
    before = torch.get_num_threads()
    model = MultiTaskRecommender(max_epochs=1, n_threads=2)
    with pytest.raises(ValueError, match="0 sample"):
        model.fit(X.head(0), y.head(0))
    assert torch.get_num_threads() == before


def test_n_threads_is_validated_by_name(data):
    X, y = data
    with pytest.raises(ValueError, match="n_threads"):
        MultiTaskRecommender(n_threads=0).fit(X, y)


def test_predictions_do_not_depend_on_n_threads(data):
    X, y = data
    one = MultiTaskRecommender(max_epochs=2, n_threads=1, random_state=0).fit(X, y)
    again = MultiTaskRecommender(max_epochs=2, n_threads=1, random_state=0).fit(X, y)
    pd.testing.assert_frame_equal(one.predict(X), again.predict(X))


def test_outside_a_worker_there_is_no_budget():
    assert worker_thread_budget() is None
    assert resolve_threads(None) is None
    assert resolve_threads(3) == 3


def _search_results(search, X, y) -> pd.DataFrame:
    results = pd.DataFrame(search.fit(X, y).cv_results_)
    return results.filter(regex="^(param_|split|mean_test|rank_|n_resources|iter)")


def _grid_search():
    model = MultiTaskRecommender(
        {"click": "binary", "rating": "regression"}, max_epochs=2, random_state=0
    )
    grid = {"lr": [1e-3, 1e-2], "shared_units": [(16,), (32, 16)]}
    return GridSearchCV(model, grid, cv=KFold(2))


def _halving_search():
    model = MultiTaskRecommender({"click": "binary", "rating": "regression"}, random_state=0)
    grid = {"lr": [1e-3, 3e-3, 1e-2], "shared_units": [(16,), (32, 16)]}
    return HalvingGridSearchCV(
        model, grid, resource="max_epochs", min_resources=1, max_resources=4, factor=2,
        cv=KFold(2), random_state=0,
    )  # fmt: skip


def _fit_in_worker(X, y):
    model = MultiTaskRecommender(max_epochs=1, random_state=0)
    seen = []
    partial_fit = MultiTaskNet.partial_fit

    def recording(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return partial_fit(self, *args, **kwargs)

    MultiTaskNet.partial_fit = recording
    try:
        model.fit(X, y)
    finally:
        MultiTaskNet.partial_fit = partial_fit
    return worker_thread_budget(), seen


def test_a_fit_in_a_dask_worker_takes_the_worker_budget(data):
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    X, y = data
    # In-process workers are enough to read the budget (the searches below run
    # on worker processes, as a real cluster does).
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    )
    with torch_threads(2), cluster, distributed.Client(cluster) as client:
        budget, seen = client.submit(_fit_in_worker, X, y).result()
    assert budget == 1
    assert seen == [1]


@pytest.mark.slow
@pytest.mark.parametrize("make_search", [_grid_search, _halving_search])
def test_search_on_a_two_process_dask_cluster_matches_the_sequential_run(data, make_search):
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    from joblib import parallel_backend

    X, y = data
    y = y[["click", "rating"]]
    with torch_threads(1):  # as each worker runs
        expected = _search_results(make_search(), X, y)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        parallel_backend("dask"),
    ):
        got = _search_results(make_search().set_params(n_jobs=2), X, y)
    np.testing.assert_array_equal(got["rank_test_score"], expected["rank_test_score"])
    pd.testing.assert_frame_equal(got, expected)
