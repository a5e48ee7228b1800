"""Each loss-weighting strategy against its defining property."""

import numpy as np
import pytest
import torch
from torch import nn

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.modules import FeatureEmbedding, MultiTaskNetwork, SharedBottom, Tower
from sklearn_mtl.weighting import DynamicWeightAverage, GradNorm, PCGrad, UncertaintyWeighting
from sklearn_mtl.weighting.pcgrad import project_conflicting


def tiny_network(n_tasks=2):
    torch.manual_seed(0)
    embedding = FeatureEmbedding([5], [3], n_numeric=2)
    bottom = SharedBottom(embedding.output_dim, n_tasks, units=[6])
    towers = [Tower(6, [], 1) for _ in range(n_tasks)]
    return MultiTaskNetwork([embedding], bottom, towers)


def batch():
    generator = torch.Generator().manual_seed(1)
    categorical = torch.randint(0, 5, (32, 1), generator=generator)
    numeric = torch.randn(32, 2, generator=generator)
    return categorical, numeric


# ---------------------------------------------------------------- PCGrad


def test_pcgrad_projection_removes_the_conflict_between_two_tasks():
    torch.manual_seed(0)
    for _ in range(50):
        g = torch.randn(2, 10)
        projected = project_conflicting(g)
        if g[0] @ g[1] < 0:
            assert projected[0] @ g[1] == pytest.approx(0.0, abs=1e-5)
            assert projected[1] @ g[0] == pytest.approx(0.0, abs=1e-5)
        else:
            torch.testing.assert_close(projected, g)


def test_pcgrad_projection_with_more_tasks_never_increases_conflict():
    torch.manual_seed(0)
    g = torch.randn(4, 20)
    projected = project_conflicting(g)
    for i in range(4):
        before = sum(min(0.0, float(g[i] @ g[j])) for j in range(4) if j != i)
        after = sum(min(0.0, float(projected[i] @ g[j])) for j in range(4) if j != i)
        assert after >= before - 1e-5


def test_pcgrad_backward_sets_shared_gradients_to_the_projected_sum():
    network = tiny_network()
    categorical, numeric = batch()
    out = network(categorical, numeric)
    # Two deliberately conflicting tasks: push the same output up and down.
    losses = torch.stack([out[0].mean() + out[1].mean(), -(out[0].mean()) * 3 + out[1].mean()])
    strategy = PCGrad().build(2)
    shared = network.shared_parameters()
    per_task = [
        torch.cat([g.flatten() for g in torch.autograd.grad(loss, shared, retain_graph=True)])
        for loss in losses
    ]
    torch.manual_seed(0)
    expected = project_conflicting(torch.stack(per_task)).sum(0)
    torch.manual_seed(0)
    strategy.backward_step(losses, network)
    got = torch.cat([p.grad.flatten() for p in shared])
    torch.testing.assert_close(got, expected)
    assert not torch.allclose(got, torch.stack(per_task).sum(0))  # the conflict was projected


# --------------------------------------------------------------- GradNorm


def test_gradnorm_weights_stay_positive_and_sum_to_the_number_of_tasks(data):
    X, y = data
    model = MultiTaskRecommender(
        loss_weighting="gradnorm", max_epochs=4, lr=1e-2, random_state=0
    ).fit(X, y)
    history = model.net_.history
    weights = np.array(
        [[epoch[f"weight_{t}"] for t in ("click", "like", "rating")] for epoch in history]
    )
    assert (weights > 0).all()
    np.testing.assert_allclose(weights.sum(axis=1), 3.0, rtol=1e-5)
    assert not np.allclose(weights, 1.0), "GradNorm learned nothing"


def test_gradnorm_lowers_the_weight_of_the_task_with_the_larger_gradient():
    network = tiny_network()
    categorical, numeric = batch()
    strategy = GradNorm(alpha=0.0).build(2)
    optimizer = torch.optim.SGD(strategy.parameters(), lr=0.1)
    out = network(categorical, numeric)
    # Same loss shape, ten times the scale: ten times the gradient on the shared layer.
    losses = torch.stack([(out[0] ** 2).mean(), 10 * (out[1] ** 2).mean()])
    strategy.backward_step(losses, network)
    optimizer.step()
    strategy.after_step()
    w = strategy.weights().detach()
    assert w[1] < 1.0 < w[0]
    assert w.sum().item() == pytest.approx(2.0)
    # GradNorm measures the last shared layer, as in the paper.
    assert network.last_shared_parameters() == list(network.architecture.bottom[-2].parameters())


# ------------------------------------------------------------ Uncertainty


def test_uncertainty_log_variances_are_learned_and_reported(data):
    X, y = data
    model = MultiTaskRecommender(
        loss_weighting="uncertainty", max_epochs=3, lr=3e-2, random_state=0
    ).fit(X, y)
    strategy = model.net_.criterion_.weighting
    assert isinstance(strategy, UncertaintyWeighting)
    log_vars = strategy.log_vars.detach().numpy()
    assert np.all(log_vars != 0.0)
    last = model.net_.history[-1]
    # The history's log-variances are those of the end of the epoch.
    np.testing.assert_allclose(
        [last[f"log_var_{t}"] for t in ("click", "like", "rating")], log_vars, rtol=1e-6
    )
    np.testing.assert_allclose(last["weight_click"], 0.5 * np.exp(-log_vars[0]), rtol=1e-6)


def test_uncertainty_gradient_drives_each_log_variance_to_the_log_of_its_loss():
    strategy = UncertaintyWeighting().build(2)
    optimizer = torch.optim.Adam(strategy.parameters(), lr=0.05)
    losses = torch.tensor([0.5, 4.0])
    for _ in range(2000):
        optimizer.zero_grad()
        strategy(losses).backward()
        optimizer.step()
    # d/ds (0.5 e^-s L + 0.5 s) = 0  ⇔  s = log L
    np.testing.assert_allclose(strategy.log_vars.detach(), np.log([0.5, 4.0]), atol=1e-2)


# -------------------------------------------------------------------- DWA


def test_dwa_weights_follow_the_loss_ratios():
    strategy = DynamicWeightAverage(temperature=2.0).build(3)
    epochs = [[1.0, 2.0, 3.0], [0.5, 2.0, 3.3]]
    for means in epochs:
        for _ in range(4):  # four identical batches per epoch
            strategy(torch.tensor(means))
        assert torch.equal(strategy.weights(), torch.ones(3))  # first two epochs: 1
        strategy.end_epoch()
    ratio = np.array(epochs[1]) / np.array(epochs[0])
    expected = 3 * np.exp(ratio / 2) / np.exp(ratio / 2).sum()
    np.testing.assert_allclose(strategy.weights(), expected, rtol=1e-6)
    # The task whose loss fell least gets the most weight.
    assert strategy.weights().argmax() == 2


def test_dwa_ignores_validation_batches():
    strategy = DynamicWeightAverage().build(2)
    strategy.eval()
    strategy(torch.tensor([5.0, 5.0]))
    assert strategy.epoch_batches == 0


def test_strategy_hyperparameters_are_checked():
    with pytest.raises(ValueError, match="temperature must be positive"):
        DynamicWeightAverage(temperature=0)
    with pytest.raises(ValueError, match="alpha must be non-negative"):
        GradNorm(alpha=-1)


def test_learned_weights_are_not_weight_decayed(data):
    X, y = data
    model = MultiTaskRecommender(
        loss_weighting="uncertainty", weight_decay=0.1, max_epochs=1, random_state=0
    ).fit(X, y)
    groups = model.net_.optimizer_.param_groups
    log_vars = model.net_.criterion_.weighting.log_vars
    group = next(g for g in groups if any(p is log_vars for p in g["params"]))
    assert group["weight_decay"] == 0.0
    assert any(g["weight_decay"] == 0.1 for g in groups)
    assert isinstance(log_vars, nn.Parameter)
