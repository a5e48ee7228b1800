"""InteractionHistory pools exactly what SVD++ pools, on either path, with exact gradients.

The reference below loops over every row in Python: the user side is the pool
of the user's items, the item side the pool of the item's users, each without
the scored pair when it is a training interaction.
"""

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.modules import InteractionHistory
from sklearn_mtl.modules import history as history_module

N_USERS, N_ITEMS, DIM = 12, 9, 3


@pytest.fixture
def interactions():
    rng = np.random.default_rng(0)
    pairs = {(int(u), int(i)) for u, i in rng.integers(1, [N_USERS, N_ITEMS], size=(40, 2))}
    pairs = sorted(pairs - {(u, i) for u, i in pairs if u == 1})  # user 1 has no history
    users, items = np.array(pairs).T
    return users, items, set(pairs)


def _history(interactions, pooling, dropout=0.0, products=False):
    users, items, _ = interactions
    torch.manual_seed(0)
    history = InteractionHistory(
        users, items, N_USERS, N_ITEMS, DIM, user_position=0, item_position=1,
        pooling=pooling, products=products, dropout=dropout,
    )  # fmt: skip
    for table in (history.item_vectors, history.user_vectors):
        torch.nn.init.normal_(table.weight)  # visible values, not 0.01
    return history


def _reference(history, interactions, users, items):
    _, _, pairs = interactions
    item_table, user_table = history.item_vectors.weight, history.user_vectors.weight
    rows = []
    for u, i in zip(users.tolist(), items.tolist(), strict=True):
        own = (u, i) in pairs
        user_side = [j for (v, j) in pairs if v == u and not (own and j == i)]
        item_side = [v for (v, j) in pairs if j == i and not (own and v == u)]
        pools = []
        for members, table in ((user_side, item_table), (item_side, user_table)):
            total = table[members].sum(dim=0) if members else torch.zeros(DIM)
            if history.pooling == "mean":
                pools.append(total / max(len(members), 1))
            else:
                pools.append(torch.sigmoid(total))
        rows.append(torch.cat(pools))
    return torch.stack(rows)


def _batch(interactions, n_rows):
    _, _, pairs = interactions
    rng = np.random.default_rng(n_rows)
    users = torch.as_tensor(rng.integers(0, N_USERS, n_rows))
    items = torch.as_tensor(rng.integers(0, N_ITEMS, n_rows))
    users[:5], items[:5] = torch.as_tensor(sorted(pairs)[:5]).T  # some training pairs
    flags = torch.tensor(
        [(u, i) in pairs for u, i in zip(users.tolist(), items.tolist(), strict=True)]
    )
    return torch.stack([users, items], dim=1), flags.float()


@pytest.mark.parametrize("pooling", ["mean", "sigmoid_sum"])
@pytest.mark.parametrize("share", [2.0, 0.0], ids=["gathered", "whole-table product"])
@pytest.mark.parametrize("n_rows", [6, 400])
@pytest.mark.parametrize("training", [True, False])
def test_pools_and_gradients_match_the_reference(
    interactions, pooling, share, n_rows, training, monkeypatch
):
    # The share of all entries a batch must cover to take the whole-table path.
    monkeypatch.setattr(history_module, "_WHOLE_TABLE_SHARE", share)
    history = _history(interactions, pooling).train(training)
    categorical, flags = _batch(interactions, n_rows)
    weights = torch.randn(n_rows, 2 * DIM)

    out = history(categorical, flags)
    (out * weights).sum().backward()
    grads = [history.item_vectors.weight.grad.clone(), history.user_vectors.weight.grad.clone()]
    history.zero_grad()

    expected = _reference(history, interactions, categorical[:, 0], categorical[:, 1])
    (expected * weights).sum().backward()
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grads[0], history.item_vectors.weight.grad, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grads[1], history.user_vectors.weight.grad, rtol=1e-5, atol=1e-6)


def test_the_precomputed_export_pools_match(interactions):
    history = _history(interactions, "mean", products=True).eval()
    categorical, flags = _batch(interactions, 50)
    with torch.no_grad():
        torch.testing.assert_close(
            history.pooled()(categorical, flags), history(categorical, flags)
        )


@pytest.mark.parametrize("pooling", ["mean", "sigmoid_sum"])
def test_dropout_hides_entries_in_training_only_and_never_shows_the_pair_itself(
    interactions, pooling
):
    history = _history(interactions, pooling, dropout=0.5)
    plain = _history(interactions, pooling)
    categorical, flags = _batch(interactions, 60)
    with torch.no_grad():
        torch.testing.assert_close(
            history.eval()(categorical, flags), plain.eval()(categorical, flags)
        )
    history.train()
    torch.manual_seed(1)
    draws = [history(categorical, flags) for _ in range(2)]
    assert not torch.equal(draws[0], draws[1])  # a new draw per batch
    # Row 0 is a training pair (u, i): whatever is hidden, i never enters u's pool.
    _, i = categorical[0].tolist()
    for _ in range(20):
        history.zero_grad()
        history(categorical[:1], flags[:1])[0, :DIM].sum().backward()
        assert history.item_vectors.weight.grad[i].abs().sum() == 0


def test_dropout_keeps_the_expected_size_of_sums(interactions):
    history = _history(interactions, "sigmoid_sum", dropout=0.5)
    categorical, flags = _batch(interactions, 400)
    with torch.no_grad():
        full = torch.logit(history.eval()(categorical, flags)[:, :DIM])
        history.train()
        torch.manual_seed(0)
        mean = torch.stack(
            [torch.logit(history(categorical, flags)[:, :DIM]) for _ in range(3000)]
        ).mean(dim=0)
    torch.testing.assert_close(mean, full, rtol=0.1, atol=0.15)


def test_bad_dropout_is_refused_by_name(interactions, data):
    with pytest.raises(ValueError, match=r"dropout must lie in \[0, 1\); got 1.0"):
        _history(interactions, "mean", dropout=1.0)
    X, y = data
    with pytest.raises(InvalidParameterError, match="'history_dropout' parameter"):
        MultiTaskRecommender(history_dropout=1.5).fit(X, y)


def test_a_negative_row_leaves_out_a_stand_in_like_an_interaction_row(interactions):
    users, items, pairs = interactions
    torch.manual_seed(0)
    history = InteractionHistory(
        users, items, N_USERS, N_ITEMS, DIM, user_position=0, item_position=1,
        pooling="mean", stand_in_leave_out=True,
    )  # fmt: skip
    user = max(set(users.tolist()), key=lambda u: sum(v == u for v, _ in pairs))
    own = sorted(i for u, i in pairs if u == user)
    assert len(own) >= 3
    negative = next(i for i in range(1, N_ITEMS) if (user, i) not in pairs)
    rows = torch.tensor([[user, negative]] * 50)
    pooled = history(rows, torch.zeros(50))[:, :DIM]
    vectors = history.item_vectors.weight.detach()
    # Each draw is the mean of the user's items but one: one entry short, as a
    # positive row's pool is, whichever item was drawn.
    candidates = torch.stack([
        vectors[[i for i in own if i != out]].mean(dim=0) for out in own
    ])  # fmt: skip
    distance = torch.cdist(pooled.detach(), candidates).min(dim=1).values
    assert distance.max() < 1e-4  # float32 sums less one vector
    assert len({tuple(row.tolist()) for row in pooled.detach().round(decimals=4)}) > 1
    # At inference nothing is left out of a negative row's pools.
    history.eval()
    torch.testing.assert_close(history(rows[:1], torch.zeros(1))[0, :DIM], vectors[own].mean(0))
