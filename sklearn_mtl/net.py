"""The skorch side: a multi-task loss and the ``NeuralNet`` that trains with it."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from skorch import NeuralNet
from skorch.utils import to_tensor
from torch import nn

from .tasks import Task
from .weighting import LossWeighting

__all__ = ["MultiTaskLoss", "MultiTaskNet"]


class MultiTaskLoss(nn.Module):
    """Masked per-task losses, combined by a weighting strategy.

    Parameters
    ----------
    tasks : sequence of Task
        Fitted tasks, in the order of the network's outputs and of the target
        columns.
    weighting : LossWeighting
        Turns the vector of task losses into the loss that is minimized.
    """

    def __init__(self, tasks: Sequence[Task], weighting: LossWeighting) -> None:
        super().__init__()
        self.tasks = list(tasks)
        self.weighting = weighting

    def task_losses(self, outputs: Sequence[torch.Tensor], targets: torch.Tensor) -> torch.Tensor:
        """Vector of each task's mean loss over its labelled rows."""
        return torch.stack(
            [
                task.loss(output, targets[:, j])
                for j, (task, output) in enumerate(zip(self.tasks, outputs, strict=True))
            ]
        )

    def forward(self, outputs: Sequence[torch.Tensor], targets: torch.Tensor) -> torch.Tensor:
        return self.weighting(self.task_losses(outputs, targets))


class MultiTaskNet(NeuralNet):
    """A skorch ``NeuralNet`` whose module returns one output per task.

    ``get_loss`` records each task's batch loss in the history as
    ``train_<task>_loss`` / ``valid_<task>_loss`` (averaged per epoch by
    skorch's ``PassthroughScoring``) before combining them.
    """

    def _set_training(self, training: bool = True) -> None:
        # skorch switches every module's mode before every batch, which walks
        # the whole module tree each time (~10% of an epoch of a small tabular
        # network); switching only when the mode changes gives the same modes.
        if getattr(self, "_training_mode", None) is training and self.module_.training is training:
            return
        super()._set_training(training)
        self._training_mode = training

    def get_loss(self, y_pred, y_true, X=None, training=False) -> torch.Tensor:
        y_true = to_tensor(y_true, device=self.device)
        task_losses = self.criterion_.task_losses(y_pred, y_true)
        prefix = "train" if training else "valid"
        for task, value in zip(self.criterion_.tasks, task_losses.detach().cpu(), strict=True):
            self.history.record_batch(f"{prefix}_{task.name}_loss", value.item())
        return self.criterion_.weighting(task_losses)
