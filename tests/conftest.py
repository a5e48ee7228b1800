import pytest
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks

# The networks under test are tiny: a second intra-op thread buys nothing, and
# on a busy 2-core machine it makes every fit wait for a core (the suite ran 3x
# slower beside one other busy process with torch's default of 2 threads).
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def data():
    """A small synthetic log: X (7 mixed columns), y (click, like, rating with NaN)."""
    return make_recommendation_tasks(n_users=60, n_items=40, n_samples=1500, random_state=0)


@pytest.fixture(scope="session")
def fitted(data):
    X, y = data
    return MultiTaskRecommender(max_epochs=5, lr=1e-2, random_state=0).fit(X, y)
