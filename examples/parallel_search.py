"""Hyper-parameter search on a Dask cluster, one torch thread per fit
==================================================================

scikit-learn's searches run their fits through joblib; joblib's "dask" backend
sends them to a Dask cluster. Here the cluster is a local one (two worker
processes of one thread each); on a real cluster, pass the scheduler's address
to ``Client`` instead. Each fit takes its worker's thread budget
(``n_threads=None``), so parallel fits do not fight over the cores.

    pip install "sklearn-mtl[dask]"
    python examples/parallel_search.py
"""

from distributed import Client, LocalCluster
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks
from sklearn_mtl.metrics import task_scorer


def main() -> None:
    X, y = make_recommendation_tasks(n_samples=6000, random_state=0)
    search = GridSearchCV(
        MultiTaskRecommender(max_epochs=3, random_state=0),
        {"lr": [1e-3, 3e-3], "shared_units": [(64, 32), (128, 64)]},
        scoring={"click_auc": task_scorer("click", "roc_auc")},
        refit="click_auc",
        cv=KFold(2),
        n_jobs=2,
    )
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster), parallel_backend("dask"):
            search.fit(X, y)
    print("best parameters:", search.best_params_)
    print(f"best click AUC (2-fold): {search.best_score_:.3f}")
    # The workers train silently; the refitted best model's epochs, as data.
    print(search.best_estimator_.history_frame().round(4).to_string())


if __name__ == "__main__":
    main()
