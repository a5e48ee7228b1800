"""Differentially private training: per-row gradients, Poisson batches, accounting, refusals."""

import math
import re
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks
from sklearn_mtl.inputs import TensorDictDataset
from sklearn_mtl.training import BatchSlicer
from sklearn_mtl.training.privacy import ALPHAS, default_delta

opacus = pytest.importorskip("opacus", reason="the privacy extra (opacus) is not installed")


@pytest.fixture(scope="module")
def log():
    X, y = make_recommendation_tasks(n_users=30, n_items=20, n_samples=400, random_state=0)
    # A multiclass task too, with missing labels: every task type trains privately.
    codes = pd.factorize(X["segment"])[0] % 3
    y = y.assign(segment=np.where(np.arange(len(y)) % 5 == 0, np.nan, codes))
    return X.drop(columns="segment"), y


def private(**params):
    defaults = dict(dp_epsilon=3.0, max_epochs=3, batch_size=64, random_state=0)
    return MultiTaskRecommender(**{**defaults, **params})


@pytest.mark.parametrize(
    "params",
    [
        dict(architecture="shared_bottom", dropout=0.1),
        dict(architecture="mmoe", n_experts=3),
        dict(architecture="ple", n_levels=2),
        dict(architecture="single"),
        dict(architecture="esmm", esmm_chain=["click", "like"]),
        dict(user_col="user_id", item_col="item_id", embedding_dim="auto"),
    ],
    ids=["shared_bottom", "mmoe", "ple", "single", "esmm", "recommender"],
)
def test_every_architecture_trains_privately_within_the_budget(log, params):
    X, y = log
    model = private(**params).fit(X, y)
    epsilon, delta = model.privacy_spent_
    # Calibrated for max_epochs epochs: the budget is used, never exceeded.
    assert 0.9 * 3.0 <= epsilon <= 3.0
    assert delta == default_delta(len(X)) == 1e-3
    assert model.noise_multiplier_ > 0
    assert set(model.predict(X.head(5)).columns) == set(y.columns)
    # Nothing of DP-SGD stays attached to the fitted network.
    for parameter in model.net_.module_.parameters():
        assert not hasattr(parameter, "grad_sample")
        assert not hasattr(parameter, "summed_grad")
    assert type(model.net_.optimizer_) is torch.optim.Adam


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
@pytest.mark.parametrize("architecture", ["shared_bottom", "mmoe", "ple", "esmm"])
def test_the_step_gradient_is_the_sum_of_each_rows_own_gradient_clipped(log, architecture):
    """The heart of the guarantee: each row's gradient is its own loss's, clipped alone."""
    X, y = log
    extra = dict(esmm_chain=["click", "like"]) if architecture == "esmm" else {}
    model = private(architecture=architecture, max_epochs=1, **extra).fit(X, y)
    net, privacy = model.net_, model._privacy()
    Y = model._encode_targets(model._targets_frame(y, n_samples=len(X), reset=False))
    dataset = TensorDictDataset(model._features(X), Y)
    module = net.module_.train()
    parameters = list(module.parameters())

    def row_loss(rows):
        features, targets = dataset[torch.as_tensor(rows)]
        task_rows, _ = net._task_row_losses(module(**features), targets, training=True)
        return net.criterion_.row_totals(task_rows)

    # Each row alone, without any hook: its gradient and its norm.
    gradients = []
    for row in range(12):
        module.zero_grad()
        row_loss([row]).sum().backward()
        gradients.append([p.grad.clone() for p in parameters])
    norms = torch.stack([torch.sqrt(sum((g**2).sum() for g in grads)) for grads in gradients])
    bound = float(norms.median())  # half of the rows are clipped, half are not
    factors = [min(1.0, bound / (float(norm) + 1e-6)) for norm in norms]
    expected = [
        sum(factor * grads[k] for factor, grads in zip(factors, gradients, strict=True))
        for k in range(len(parameters))
    ]

    privacy.max_grad_norm = bound
    privacy.on_train_begin(net)
    try:
        module.zero_grad()
        net.row_backward_(row_loss(list(range(12))))
        for parameter, value in zip(parameters, expected, strict=True):
            torch.testing.assert_close(parameter.grad, value, atol=1e-5, rtol=1e-4)
    finally:
        privacy.release(net)
    assert "row_backward_" not in net.__dict__


def test_poisson_batches_take_each_row_independently_at_the_sampling_rate():
    dataset = TensorDictDataset({"numeric": np.arange(1000.0)[:, None]})
    slicer = BatchSlicer(dataset, batch_size=100, shuffle=True, random_state=0, poisson=True)
    assert len(slicer) == 10 and slicer.sample_rate == 0.1
    counts = np.zeros(1000)
    sizes = []
    for epoch in range(40):
        slicer.epoch = epoch
        for features, _ in slicer:
            rows = features["numeric"][:, 0].numpy().astype(int)
            assert len(np.unique(rows)) == len(rows)
            counts[rows] += 1
            sizes.append(len(rows))
    assert len(sizes) == 400
    assert np.std(sizes) > 3  # sizes vary: Binomial(1000, 0.1) has std 9.5
    assert abs(np.mean(sizes) - 100) < 2
    # Each row joins each of the 400 steps with probability 0.1: 40 times on average.
    assert abs(counts.mean() - 40) < 1 and counts.std() < 8
    # Never from random_state: nobody may know which rows a step took.
    again = BatchSlicer(dataset, batch_size=100, shuffle=True, random_state=0, poisson=True)
    first, second = ([f["numeric"].numpy() for f, _ in again] for _ in range(2))
    assert not all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_the_noise_is_not_replayable_from_random_state(log):
    X, y = log
    one, two = (private(max_epochs=1).fit(X, y) for _ in range(2))
    assert not one.predict(X).equals(two.predict(X))
    # Without DP the same random_state gives the same model.
    plain = [MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y) for _ in range(2)]
    pd.testing.assert_frame_equal(plain[0].predict(X), plain[1].predict(X))


def test_noise_is_calibrated_for_max_epochs_at_the_training_rows_sampling_rate(log):
    X, y = log
    model = private(max_epochs=4, batch_size=50, validation_fraction=0.25).fit(X, y)
    n_train = len(X) - round(0.25 * len(X))  # the validation rows are not sampled
    steps = math.ceil(n_train / 50)
    history = model._privacy().accountant_.history
    assert history == [(model.noise_multiplier_, 1 / steps, 4 * steps)]
    from opacus.accountants.utils import get_noise_multiplier

    expected = get_noise_multiplier(
        target_epsilon=3.0,
        target_delta=1e-3,
        sample_rate=1 / steps,
        steps=4 * steps,
        accountant="rdp",
        alphas=ALPHAS,
    )
    assert model.noise_multiplier_ == expected


def test_early_stopping_spends_only_the_epochs_it_trained(log):
    X, y = log
    model = private(max_epochs=30, early_stopping=True, n_iter_no_change=1, lr=0.3).fit(X, y)
    assert model.n_iter_ < 30
    full = private(max_epochs=30, early_stopping=True, n_iter_no_change=100).fit(X, y)
    assert model.privacy_spent_[0] < full.privacy_spent_[0] <= 3.0


def test_partial_fit_accumulates_the_spent_budget_and_warns_past_it(log):
    X, y = log
    model = private(max_epochs=3)
    spent = []
    for _ in range(3):
        model.partial_fit(X, y)
        spent.append(model.privacy_spent_[0])
    assert spent[0] < spent[1] < spent[2] <= 3.0
    # Three one-epoch calls spend what one fit of three epochs does.
    assert spent[2] == pytest.approx(private(max_epochs=3).fit(X, y).privacy_spent_[0])
    with pytest.warns(UserWarning, match=r"spent epsilon=.*more than dp_epsilon=3\.0"):
        model.partial_fit(X, y)
    assert model.privacy_spent_[0] > 3.0


def test_warm_start_continues_spending(log):
    X, y = log
    model = private(max_epochs=2, warm_start=True).fit(X, y)
    first = model.privacy_spent_[0]
    with pytest.warns(UserWarning, match="more than dp_epsilon"):
        model.fit(X, y)
    assert model.privacy_spent_[0] > first


def test_save_load_keeps_the_accounting_and_training_continues_it(log, tmp_path):
    X, y = log
    model = private(max_epochs=2).fit(X, y)
    loaded = MultiTaskRecommender.load(model.save(tmp_path / "model"))
    assert loaded.privacy_spent_ == model.privacy_spent_
    assert re.search(r"privacy spent\s+epsilon [23]\.\d{3}, delta 0\.001", str(loaded))
    assert loaded.noise_multiplier_ == model.noise_multiplier_
    pd.testing.assert_frame_equal(loaded.predict(X), model.predict(X))
    with pytest.warns(UserWarning, match="more than dp_epsilon"):
        loaded.partial_fit(X, y)
    with pytest.warns(UserWarning, match="more than dp_epsilon"):
        model.partial_fit(X, y)
    assert loaded.privacy_spent_ == pytest.approx(model.privacy_spent_)
    assert loaded.privacy_spent_[0] > 2.9


def test_a_private_model_clones_and_pickles(log):
    import pickle

    X, y = log
    model = private(max_epochs=1).fit(X, y)
    copy = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(copy.predict(X), model.predict(X))
    assert clone(model).get_params()["dp_epsilon"] == 3.0
    with pytest.warns(UserWarning, match="more than dp_epsilon"):
        copy.partial_fit(X, y)  # the unpickled model trains privately on


def test_the_delta_defaults_to_one_over_n_rounded_down_and_warns_when_given_too_large(log):
    X, y = log
    assert default_delta(80_000) == 1e-5 and default_delta(100) == 1e-2
    assert private(max_epochs=1, dp_delta=1e-6).fit(X, y).privacy_spent_[1] == 1e-6
    with pytest.warns(UserWarning, match=r"dp_delta=0\.1 is above 1 / n_samples"):
        private(max_epochs=1, dp_delta=0.1).fit(X, y)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            dict(user_col="user_id", item_col="item_id", interaction_history=True),
            "interaction_history=True pools",
        ),
        (
            dict(
                user_col="user_id",
                item_col="item_id",
                interaction_task="click",
                resample_negatives=True,
            ),
            "resample_negatives=True draws",
        ),
        (dict(batch_norm=True), "batch_norm=True normalizes"),
        (dict(loss_weighting="uncertainty"), "loss_weighting='uncertainty'"),
        (dict(loss_weighting="pcgrad"), "loss_weighting='pcgrad'"),
        (dict(max_grad_norm=1.0), "max_grad_norm clips the batch gradient"),
        (dict(record_task_affinity=True), "record_task_affinity=True"),
        (dict(distributed=True), "distributed=True"),
    ],
)
def test_what_would_void_the_guarantee_is_refused_with_the_reason(log, params, message):
    X, y = log
    with pytest.raises(ValueError, match=f"dp_epsilon=3.0 cannot be used here: {message}"):
        private(**params).fit(X, y)


def test_switching_privacy_on_or_off_when_continuing_is_refused(log):
    X, y = log
    plain = MultiTaskRecommender(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="trained without differential privacy"):
        plain.set_params(dp_epsilon=1.0).partial_fit(X, y)
    model = private(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="trained with differential privacy"):
        model.set_params(dp_epsilon=None).partial_fit(X, y)


@pytest.mark.filterwarnings("ignore:Optimal order is the largest alpha")
def test_a_budget_too_small_for_the_epochs_says_so(log):
    X, y = log
    with pytest.raises(ValueError, match=r"dp_epsilon=1e-09 cannot be reached over 3 epochs"):
        private(dp_epsilon=1e-9, dp_delta=1e-10).fit(X, y)


def test_invalid_privacy_parameters_are_named(log):
    X, y = log
    for params in (dict(dp_epsilon=0.0), dict(dp_delta=1.0), dict(dp_max_grad_norm=-1.0)):
        name = next(iter(params))
        with pytest.raises(ValueError, match=f"'{name}' parameter"):
            private(**params).fit(X, y)


def test_without_opacus_the_error_says_how_to_install_it(log, monkeypatch):
    X, y = log
    monkeypatch.setitem(sys.modules, "opacus", None)
    with pytest.raises(ImportError, match=r"pip install 'sklearn-mtl\[privacy\]'"):
        private().fit(X, y)


def test_empty_poisson_batches_still_take_a_noisy_step(log):
    X, y = log
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the accountant's order search
        model = private(batch_size=1, max_epochs=1, dp_epsilon=50.0).fit(X.head(20), y.head(20))
    # Each of the 20 steps draws each row with probability 1/20: some are empty.
    assert model._privacy().accountant_.history[0][2] == 20
