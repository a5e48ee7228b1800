"""Base class of loss-weighting strategies: many task losses in, one training loss out."""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import nn

__all__ = ["LossWeighting"]


class LossWeighting(nn.Module, ABC):
    """Combines the per-task losses of a batch into the loss that is minimized.

    A strategy is a ``torch.nn.Module`` so that learned weights (if any) are
    trained by the same optimizer as the network and saved with it.

    Parameters
    ----------
    n_tasks : int
        Number of tasks.
    """

    def __init__(self, n_tasks: int) -> None:
        super().__init__()
        self.n_tasks = n_tasks

    @abstractmethod
    def forward(self, task_losses: torch.Tensor) -> torch.Tensor:
        """Return the scalar training loss from a vector of ``n_tasks`` losses."""
