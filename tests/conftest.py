import pytest

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks


@pytest.fixture(scope="session")
def data():
    """A small synthetic log: X (7 mixed columns), y (click, like, rating with NaN)."""
    return make_recommendation_tasks(n_users=60, n_items=40, n_samples=1500, random_state=0)


@pytest.fixture(scope="session")
def fitted(data):
    X, y = data
    return MultiTaskRecommender(max_epochs=5, lr=1e-2, random_state=0).fit(X, y)
