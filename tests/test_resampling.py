"""resample_negatives: fresh sampled negatives at every epoch (NegativeResampling)."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import sample_negatives
from sklearn_mtl.inputs import TableLookup, TensorDictDataset
from sklearn_mtl.training import NegativeResampling

# Categorical columns: user, item, item genre; numeric: user age, item year.
# The genre of item i is i % 3 and its year 2000 + i; the age of user u is 20 + u.
N_USERS, N_ITEMS = 6, 12
INTERACTIONS = {(u, i) for u in range(N_USERS) for i in range(N_ITEMS) if (u + i) % 3 == 0}


def toy_dataset(n_negatives: int = 3, seed: int = 0) -> TensorDictDataset:
    rng = np.random.default_rng(seed)
    positives = sorted(INTERACTIONS)
    negatives = [
        (u, int(rng.choice([i for i in range(N_ITEMS) if (u, i) not in INTERACTIONS])))
        for u, _ in positives
        for _ in range(n_negatives)
    ]
    pairs = np.array(positives + negatives)
    users, items = pairs[:, 0], pairs[:, 1]
    labels = np.r_[np.ones(len(positives)), np.zeros(len(negatives))]
    features = {
        "categorical": np.column_stack([users, items, items % 3]),
        "numeric": np.column_stack([20.0 + users, 2000.0 + items]).astype(np.float32),
        "in_history": labels.astype(np.float32),
        # One text per item (its id), stored as codes into a table.
        "text": TableLookup([np.arange(N_ITEMS, dtype=np.float32)[:, None]], items[:, None]),
    }
    return TensorDictDataset(features, labels[:, None])


def in_history(users: np.ndarray, items: np.ndarray) -> np.ndarray:
    return np.array([(int(u), int(i)) in INTERACTIONS for u, i in zip(users, items, strict=True)])


def resampler(seed: int = 0) -> NegativeResampling:
    return NegativeResampling(
        task_index=0,
        user_position=0,
        item_position=1,
        item_columns={"categorical": [1, 2], "numeric": [1], "text": [0]},
        in_history=in_history,
        random_state=seed,
    )


def run_epochs(callback: NegativeResampling, dataset: TensorDictDataset, n_epochs: int):
    """Drive the callback as skorch does; return a copy of the data after each epoch begins."""
    net = SimpleNamespace(history=[])
    callback.on_train_begin(net, X=dataset)
    snapshots = []
    for _ in range(n_epochs):
        net.history.append({})
        callback.on_epoch_begin(net, dataset_train=dataset)
        snapshots.append(
            {
                "categorical": dataset.features["categorical"].clone(),
                "numeric": dataset.features["numeric"].clone(),
                "text": dataset.features["text"].codes.clone(),
                "in_history": dataset.features["in_history"].clone(),
            }
        )
    callback.on_train_end(net)
    return snapshots


def test_first_epoch_trains_on_the_given_negatives():
    dataset = toy_dataset()
    before = dataset.features["categorical"].clone()
    (first,) = run_epochs(resampler(), dataset, 1)
    assert torch.equal(first["categorical"], before)


def test_later_epochs_draw_new_non_interacted_items_that_carry_their_own_columns():
    dataset = toy_dataset()
    targets = dataset.targets.clone()
    first, second, third = run_epochs(resampler(), dataset, 3)
    negative = (targets[:, 0] == 0).numpy()
    for later in (second, third):
        categorical, numeric = later["categorical"].numpy(), later["numeric"].numpy()
        users, items = categorical[:, 0], categorical[:, 1]
        # Positives are untouched; users, their columns and the targets stay.
        assert torch.equal(later["categorical"][~negative], first["categorical"][~negative])
        np.testing.assert_array_equal(users, first["categorical"][:, 0].numpy())
        np.testing.assert_array_equal(numeric[:, 0], 20.0 + users)
        assert torch.equal(dataset.targets, targets)
        # Negatives are non-interactions, with the columns of the drawn item.
        assert not in_history(users[negative], items[negative]).any()
        np.testing.assert_array_equal(categorical[:, 2], items % 3)
        np.testing.assert_array_equal(numeric[:, 1], 2000.0 + items)
        np.testing.assert_array_equal(later["text"][:, 0].numpy(), items)
        assert (later["in_history"].numpy()[negative] == 0).all()
    # New draws: most negatives changed item from one epoch to the next.
    changed = second["categorical"][negative, 1] != third["categorical"][negative, 1]
    assert changed.float().mean() > 0.3


def test_draws_are_seeded():
    first = run_epochs(resampler(seed=1), toy_dataset(), 3)[-1]
    again = run_epochs(resampler(seed=1), toy_dataset(), 3)[-1]
    other = run_epochs(resampler(seed=2), toy_dataset(), 3)[-1]
    assert torch.equal(first["categorical"], again["categorical"])
    assert not torch.equal(first["categorical"], other["categorical"])


def test_a_user_who_saw_every_item_keeps_the_given_negative():
    dataset = toy_dataset()
    callback = resampler()
    callback.in_history = lambda users, items: users == 0  # user 0 saw everything
    before = dataset.features["categorical"].clone()
    *_, last = run_epochs(callback, dataset, 2)
    user0 = (before[:, 0] == 0).numpy()
    assert torch.equal(last["categorical"][user0], before[user0])
    assert not torch.equal(last["categorical"][~user0], before[~user0])


def test_training_data_is_released_after_fit():
    callback = resampler()
    run_epochs(callback, toy_dataset(), 2)
    assert not hasattr(callback, "_tables") and not hasattr(callback, "_items")


# ----------------------------------------------------------- the estimator


@pytest.fixture(scope="module")
def impressions():
    rng = np.random.default_rng(0)
    log = pd.DataFrame({"user_id": rng.integers(0, 30, 600), "item_id": rng.integers(0, 40, 600)})
    log = log.drop_duplicates().reset_index(drop=True)
    log["age"] = 20.0 + log["user_id"]
    log["genre"] = (log["item_id"] % 4).astype(str)
    data = sample_negatives(log, n_negatives=2, random_state=0)
    data[["user_id", "item_id"]] = data[["user_id", "item_id"]].astype(str)
    return data.drop(columns="watched"), data[["watched"]]


PARAMS = dict(
    user_col="user_id",
    item_col="item_id",
    interaction_task="watched",
    interaction_history=True,
    max_epochs=3,
    lr=1e-2,
    random_state=0,
)


def test_estimator_resamples_and_stays_reproducible(impressions):
    X, y = impressions
    resampled = MultiTaskRecommender(resample_negatives=True, **PARAMS).fit(X, y)
    again = MultiTaskRecommender(resample_negatives=True, **PARAMS).fit(X, y)
    fixed = MultiTaskRecommender(**PARAMS).fit(X, y)
    proba = resampled.predict_proba(X)["watched"]
    np.testing.assert_array_equal(proba, again.predict_proba(X)["watched"])
    assert not np.allclose(proba, fixed.predict_proba(X)["watched"])
    # The caller's frames are not modified, and neither is what the model learned from them.
    assert X.equals(impressions[0])
    pd.testing.assert_frame_equal(resampled.catalog_.items_, fixed.catalog_.items_)


def test_estimator_with_validation_split_and_partial_fit(impressions):
    X, y = impressions
    model = MultiTaskRecommender(resample_negatives=True, validation_fraction=0.2, **PARAMS)
    model.fit(X, y).partial_fit(X, y)
    assert model.n_iter_ == PARAMS["max_epochs"] + 1
    assert np.isfinite(model.net_.history[:, "valid_loss"]).all()


@pytest.mark.parametrize(
    "params",
    [
        dict(resample_negatives=True, user_col="user_id", item_col="item_id"),
        dict(resample_negatives=True, interaction_task="watched"),
    ],
)
def test_resampling_needs_ids_and_an_interaction_task(impressions, params):
    X, y = impressions
    with pytest.raises(ValueError, match="resample_negatives=True needs interaction_task"):
        MultiTaskRecommender(max_epochs=1, **params).fit(X, y)
