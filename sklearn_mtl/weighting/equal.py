"""Equal weighting: the plain sum of the task losses."""

from __future__ import annotations

import torch

from .base import LossWeighting

__all__ = ["EqualWeighting"]


class EqualWeighting(LossWeighting):
    """Sum of the task losses (fixed ``task_weights`` are applied before it).

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.weighting import EqualWeighting
    >>> EqualWeighting().build(2)(torch.tensor([0.5, 1.0]))
    tensor(1.5000)
    """

    def forward(self, task_losses: torch.Tensor) -> torch.Tensor:
        return task_losses.sum()

    def weights(self) -> torch.Tensor:
        return torch.ones(self.n_tasks)
