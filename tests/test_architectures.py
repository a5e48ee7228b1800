import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError
from torch import nn

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks
from sklearn_mtl.modules import ESMM, MLP, PLE, MMoE, MultiTaskArchitecture
from sklearn_mtl.weighting import LOSS_WEIGHTINGS, EqualWeighting

ARCHITECTURES = ["shared_bottom", "mmoe", "ple", "esmm", "single"]


@pytest.fixture(scope="module")
def sparse_data():
    """click on every row; like on ~5% of rows, so most batches of 16 have no like label."""
    X, y = make_recommendation_tasks(n_users=30, n_items=20, n_samples=300, random_state=1)
    y = y.copy()
    rng = np.random.default_rng(0)
    y.loc[rng.uniform(size=len(y)) > 0.05, "like"] = np.nan
    return X, y


@pytest.mark.parametrize("weighting", sorted(LOSS_WEIGHTINGS))
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_every_architecture_trains_with_every_strategy(sparse_data, architecture, weighting):
    X, y = sparse_data
    model = MultiTaskRecommender(
        architecture=architecture,
        loss_weighting=weighting,
        esmm_chain=["click", "like"],
        # A tiny network: the grid checks that every pair trains, not how well.
        shared_units=(8,),
        tower_units=(4,),
        embedding_dim=4,
        n_experts=2,
        n_levels=2,
        batch_size=16,
        max_epochs=4,
        lr=1e-2,
        random_state=0,
    ).fit(X, y)
    history = model.net_.history
    # Batches without a like label broke nothing: every recorded loss is finite.
    batch_losses = [b["train_like_loss"] for epoch in history for b in epoch["batches"]]
    assert np.isfinite(batch_losses).all()
    if architecture != "esmm":  # ESMM labels like = 0 wherever click = 0: no empty batch
        assert min(batch_losses) == 0.0
    assert all(torch.isfinite(p).all() for p in model.net_.module_.parameters())
    task_losses = history[:, "train_click_loss"]
    assert task_losses[-1] < task_losses[0], task_losses
    pred = model.predict(X.head(5))
    assert pred.shape == (5, 3) and pred.notna().all().all()
    assert {f"weight_{t}" for t in ("click", "like", "rating")} <= set(history[-1])


def test_mixture_gates_are_distributions_and_expert_usage_reports_them(data):
    X, y = data
    mmoe = MultiTaskRecommender(architecture="mmoe", n_experts=5, max_epochs=2, random_state=0)
    usage = mmoe.fit(X, y).expert_usage(X)
    assert usage.shape == (3, 5) and list(usage.index) == ["click", "like", "rating"]
    np.testing.assert_allclose(usage.sum(axis=1), 1.0, rtol=1e-5)

    ple = MultiTaskRecommender(
        architecture="ple",
        n_levels=2,
        n_task_experts=2,
        n_shared_experts=1,
        max_epochs=1,
        random_state=0,
    ).fit(X, y)
    assert list(ple.expert_usage(X, level=0).columns) == ["own_0", "own_1", "shared_0"]
    np.testing.assert_allclose(ple.expert_usage(X).sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match=r"level must lie in \[-2, 2\); got 2"):
        ple.expert_usage(X, level=2)


def test_expert_usage_needs_a_mixture(fitted, data):
    with pytest.raises(ValueError, match="architecture='shared_bottom', which has no gates"):
        fitted.expert_usage(data[0])


def test_esmm_loss_uses_the_entire_space():
    esmm = ESMM(input_dim=3, n_tasks=3, chain=[0, 2], units=[4])
    outputs = [torch.tensor([0.3, -1.0, 2.0]), torch.zeros(3), torch.tensor([1.0, 0.5, -0.5])]
    targets = torch.tensor([[0.0, 1.0, np.nan], [1.0, 0.0, 1.0], [1.0, 1.0, np.nan]])
    view, view_targets = esmm.loss_view(outputs, targets)
    joint = torch.sigmoid(outputs[0]) * torch.sigmoid(outputs[2])
    torch.testing.assert_close(torch.sigmoid(view[2]), joint)
    torch.testing.assert_close(view[0], outputs[0])  # the first task is unconditional
    # Not clicked → not converted; clicked with unknown conversion stays unknown.
    torch.testing.assert_close(view_targets[:, 2], torch.tensor([0.0, 1.0, np.nan]), equal_nan=True)
    torch.testing.assert_close(view_targets[:, :2], targets[:, :2])


def test_esmm_trains_the_conditional_head_on_all_impressions(data):
    X, y = data
    y = y.copy()
    y.loc[y["click"] == 0, "like"] = np.nan  # like exists only after a click
    model = MultiTaskRecommender(
        architecture="esmm", esmm_chain=["click", "like"], max_epochs=3, random_state=0
    ).fit(X, y)
    proba = model.predict_proba(X)
    # Reported: p(like | click). The joint p(click and like) is never above p(click).
    joint = proba["click"][:, 1] * proba["like"][:, 1]
    assert np.all(joint <= proba["click"][:, 1] + 1e-12)
    assert model.score_tasks(X, y)["like"] > 0.5


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"architecture": "transformer"}, InvalidParameterError, "'architecture' parameter"),
        ({"loss_weighting": "magic"}, InvalidParameterError, "'loss_weighting' parameter"),
        ({"architecture": "mmoe", "n_experts": 0}, InvalidParameterError, "'n_experts'"),
        (
            {"architecture": "ple", "n_task_experts": 0, "n_shared_experts": 0},
            ValueError,
            "n_task_experts and n_shared_experts are both 0",
        ),
        ({"architecture": "esmm"}, ValueError, "needs esmm_chain"),
        (
            {"architecture": "esmm", "esmm_chain": ["click", "purchase"]},
            ValueError,
            r"esmm_chain names tasks that do not exist: \['purchase'\]",
        ),
        (
            {"architecture": "esmm", "esmm_chain": ["click", "rating"]},
            ValueError,
            r"esmm_chain tasks must be binary; \['rating'\]",
        ),
        ({"architecture": "esmm", "esmm_chain": ["click"]}, ValueError, "at least two"),
        ({"architecture": nn.Linear}, TypeError, "subclass of sklearn_mtl.modules.Multi"),
    ],
)
def test_bad_architecture_and_strategy_parameters(data, params, error, message):
    X, y = data
    with pytest.raises(error, match=message):
        MultiTaskRecommender(max_epochs=1, **params).fit(X.head(50), y.head(50))


class TwoBranches(MultiTaskArchitecture):
    """A user-defined architecture: a shared layer, then one branch per task."""

    def __init__(self, input_dim, n_tasks, units, dropout=0.0, batch_norm=False):
        super().__init__(input_dim, n_tasks)
        self.shared = MLP(input_dim, [units[0]])
        self.branches = nn.ModuleList(MLP(units[0], [8]) for _ in range(n_tasks))
        self.output_dim = 8

    def forward(self, x):
        hidden = self.shared(x)
        return [branch(hidden) for branch in self.branches]

    def shared_parameters(self):
        return list(self.shared.parameters())


class WrongOutputs(TwoBranches):
    def forward(self, x):
        return super().forward(x)[:1]


def test_a_custom_architecture_class(data):
    X, y = data
    model = MultiTaskRecommender(
        architecture=TwoBranches, loss_weighting="pcgrad", max_epochs=2, random_state=0
    ).fit(X, y)
    assert isinstance(model.net_.module_.architecture, TwoBranches)
    assert model.predict(X.head(2)).shape == (2, 3)
    with pytest.raises(TypeError, match="WrongOutputs must return a list of 3 tensors"):
        MultiTaskRecommender(architecture=WrongOutputs, max_epochs=1).fit(X, y)


class HalfWeights(EqualWeighting):
    """A user-defined strategy: every task at weight 0.5."""

    def forward(self, task_losses):
        return 0.5 * task_losses.sum()

    def weights(self):
        return torch.full((self.n_tasks,), 0.5)


def test_a_custom_loss_weighting_object(data):
    X, y = data
    strategy = HalfWeights()
    model = MultiTaskRecommender(loss_weighting=strategy, max_epochs=1, random_state=0).fit(X, y)
    batch = model.net_.history[-1, "batches", 0]
    expected = 0.5 * sum(batch[f"train_{t}_loss"] for t in ("click", "like", "rating"))
    assert batch["train_loss"] == pytest.approx(expected, rel=1e-5)
    assert model.net_.history[-1, "weight_like"] == 0.5
    assert not hasattr(strategy, "n_tasks"), "the user's object is copied, not built in place"
    with pytest.raises(InvalidParameterError, match="'loss_weighting' parameter"):
        MultiTaskRecommender(loss_weighting=object()).fit(X, y)


def test_single_shares_nothing_between_tasks(data):
    X, y = data
    model = MultiTaskRecommender(architecture="single", max_epochs=1, random_state=0).fit(X, y)
    network = model.net_.module_
    assert len(network.embeddings) == 3 and network.shared_parameters() == []
    # A task's loss reaches only its own embeddings and MLP.
    features = {k: torch.as_tensor(v) for k, v in model.schema_.transform(X.head(20)).items()}
    network.zero_grad()
    network(**features)[0].sum().backward()
    touched = [
        e.embeddings[0].weight.grad is not None and bool(e.embeddings[0].weight.grad.any())
        for e in network.embeddings
    ]
    assert touched == [True, False, False]


def test_module_constructors_check_their_sizes():
    with pytest.raises(ValueError, match="n_experts must be at least 1"):
        MMoE(4, 2, n_experts=0, units=[3])
    with pytest.raises(ValueError, match="PLE needs at least one expert"):
        PLE(4, 2, n_levels=1, n_task_experts=0, n_shared_experts=0, units=[3])


def test_ple_shares_task_experts_below_the_last_level():
    ple = PLE(4, 2, n_levels=2, n_task_experts=1, n_shared_experts=1, units=[3])
    shared = {id(p) for p in ple.shared_parameters()}
    assert all(id(p) in shared for p in ple.task_experts[0].parameters())
    assert not any(id(p) in shared for p in ple.task_experts[1].parameters())
    assert pd.Series([id(p) in shared for p in ple.shared_experts.parameters()]).all()


@pytest.mark.parametrize("n_task_experts, n_shared_experts", [(0, 2), (2, 0)])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_ple_with_experts_of_one_kind_only(n_task_experts, n_shared_experts, batch_norm):
    ple = PLE(
        6,
        2,
        n_levels=2,
        n_task_experts=n_task_experts,
        n_shared_experts=n_shared_experts,
        units=[4, 3],
        batch_norm=batch_norm,
    )
    outputs = ple(torch.randn(5, 6))
    assert [o.shape for o in outputs] == [(5, 3), (5, 3)]
    sum(o.sum() for o in outputs).backward()


def test_expert_bank_equals_separate_mlps():
    from sklearn_mtl.modules.experts import ExpertBank

    bank = ExpertBank(3, input_dim=5, units=[4, 2])
    x = torch.randn(7, 5)
    for e in range(3):
        mlp = MLP(5, [4, 2])
        with torch.no_grad():
            for layer, linear in enumerate(m for m in mlp if isinstance(m, nn.Linear)):
                linear.weight.copy_(bank.layers[layer].weight[e].T)
                linear.bias.copy_(bank.layers[layer].bias[e])
        torch.testing.assert_close(bank(x)[:, e], mlp(x))
