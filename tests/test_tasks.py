import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_mtl.tasks import BinaryTask, MulticlassTask, RegressionTask, infer_task_type
from sklearn_mtl.training import MultiTaskLoss
from sklearn_mtl.weighting import EqualWeighting


@pytest.mark.parametrize(
    "task, labels, output",
    [
        (BinaryTask("b"), [0, 1, np.nan, 1, np.nan], torch.randn(5)),
        (RegressionTask("r"), [1.0, 2.5, np.nan, 4.0, np.nan], torch.randn(5)),
        (MulticlassTask("m"), ["x", "y", None, "z", None], torch.randn(5, 3)),
    ],
)
def test_missing_labels_add_no_loss_and_no_gradient(task, labels, output):
    task.fit(pd.Series(labels))
    target = torch.as_tensor(task.encode(pd.Series(labels)))
    output = output.clone().requires_grad_(True)
    loss = task.loss(output, target)
    loss.backward()
    missing = torch.isnan(target)
    assert torch.all(output.grad[missing] == 0)
    assert torch.all(output.grad[~missing].abs().sum(dim=tuple(range(1, output.dim()))) > 0)
    # The loss is the mean over labelled rows only.
    labelled = ~missing
    expected = task.elementwise_loss(output[labelled].detach(), target[labelled]).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


def test_a_batch_without_labels_gives_a_zero_loss_that_backpropagates():
    task = BinaryTask("b").fit(pd.Series([0, 1]))
    output = torch.randn(3, requires_grad=True)
    loss = task.loss(output, torch.full((3,), float("nan")))
    loss.backward()
    assert loss.item() == 0.0 and torch.all(output.grad == 0)


def test_multi_task_loss_masks_each_task_separately():
    tasks = [BinaryTask("a").fit(pd.Series([0, 1])), RegressionTask("b").fit(pd.Series([0.0, 2]))]
    criterion = MultiTaskLoss(tasks, EqualWeighting().build(2), task_weights=[1.0, 3.0])
    outputs = (torch.zeros(2), torch.zeros(2))
    targets = torch.tensor([[1.0, np.nan], [np.nan, 1.0]])
    losses = criterion.task_losses(outputs, targets)
    assert losses[0].item() == pytest.approx(np.log(2))
    assert losses[1].item() == pytest.approx(1.0)
    assert criterion(losses).item() == pytest.approx(np.log(2) + 3.0)


def test_regression_targets_are_standardized_and_mapped_back():
    task = RegressionTask("r").fit(pd.Series([10.0, 20.0, 30.0, np.nan]))
    codes = task.encode(pd.Series([10.0, 30.0, np.nan]))
    np.testing.assert_allclose(codes[:2], [-np.sqrt(1.5), np.sqrt(1.5)], rtol=1e-6)
    assert np.isnan(codes[2])
    np.testing.assert_allclose(task.predict(codes[:2]), [10.0, 30.0], rtol=1e-6)


@pytest.mark.parametrize(
    "values, expected",
    [
        ([0, 1, 1], "binary"),
        ([0.0, 1.0, np.nan], "binary"),
        ([True, False], "binary"),
        (["a", "b", "c"], "multiclass"),
        ([1, 2, 3, 4, 5], "multiclass"),
        ([1.5, 3.0, np.nan], "regression"),
    ],
)
def test_infer_task_type(values, expected):
    assert infer_task_type(pd.Series(values)) == expected
