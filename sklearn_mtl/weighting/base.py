"""Base class of loss-weighting strategies: many task losses in, one training step out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["LossWeighting"]


class LossWeighting(nn.Module, ABC):
    """Turns the per-task losses of a batch into gradients.

    A strategy takes its hyperparameters in ``__init__`` and creates its state
    in :meth:`build`, once the number of tasks is known. It is a
    ``torch.nn.Module`` so that learned weights are trained by the network's
    optimizer and saved with it.

    Loss-based strategies only implement :meth:`forward` (the combined loss).
    Gradient-based strategies also override :meth:`backward_step`, which gets
    the network so that it can ask which parameters the tasks share.

    The network calls :meth:`after_step` after every optimizer step and
    :meth:`end_epoch` after every epoch; :meth:`history_items` is logged into
    the training history each epoch.
    """

    n_tasks: int

    def __init__(self) -> None:
        # Without it the strategies' signature would be nn.Module's
        # (*args, **kwargs); each takes its hyperparameters, if any, here.
        super().__init__()

    def build(self, n_tasks: int) -> LossWeighting:
        """Create the state for ``n_tasks`` tasks; returns ``self``.

        Parameters
        ----------
        n_tasks : int
            Number of tasks whose losses are combined.

        Returns
        -------
        self : LossWeighting
        """
        self.n_tasks = n_tasks
        return self

    @abstractmethod
    def forward(self, task_losses: torch.Tensor) -> torch.Tensor:
        """The scalar loss from a vector of ``n_tasks`` losses.

        Parameters
        ----------
        task_losses : Tensor of shape (n_tasks,)
            Each task's loss on the batch.

        Returns
        -------
        Tensor
            A scalar.
        """

    @abstractmethod
    def weights(self) -> torch.Tensor:
        """The weight each task's loss gets now."""

    def backward_step(self, task_losses: torch.Tensor, network: nn.Module) -> torch.Tensor:
        """Fill the gradients of all parameters for one batch; return the loss to log.

        Parameters
        ----------
        task_losses : Tensor of shape (n_tasks,)
            Each task's loss on the batch, attached to the graph.
        network : MultiTaskNetwork
            Offers ``shared_parameters()`` and ``last_shared_parameters()``.
        """
        loss = self(task_losses)
        loss.backward()
        return loss

    def after_step(self) -> None:
        """Called after each optimizer step (e.g. to renormalize learned weights)."""

    def end_epoch(self) -> None:
        """Called after each training epoch (e.g. to update epoch-level weights)."""

    def history_items(self, task_names: Sequence[str]) -> dict[str, float]:
        """Values to log per epoch: ``weight_<task>`` by default.

        Parameters
        ----------
        task_names : sequence of str
            The tasks, in the order of the losses.

        Returns
        -------
        dict of str to float
        """
        return {
            f"weight_{name}": float(w)
            for name, w in zip(task_names, self.weights().detach().cpu(), strict=True)
        }
