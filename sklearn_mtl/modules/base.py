"""Base class of multi-task architectures: one input vector in, one representation per task out."""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import nn

__all__ = ["MultiTaskArchitecture"]


class MultiTaskArchitecture(nn.Module, ABC):
    """Maps the embedded features to one representation per task.

    Subclasses set ``output_dim`` (the width of each task's representation)
    and implement ``forward``. The towers and heads that turn each
    representation into a prediction live outside the architecture.

    Parameters
    ----------
    input_dim : int
        Width of the embedded input vector.
    n_tasks : int
        Number of tasks, hence of representations returned by ``forward``.
    """

    output_dim: int

    def __init__(self, input_dim: int, n_tasks: int) -> None:
        super().__init__()
        self.input_dim = input_dim
        self.n_tasks = n_tasks

    @abstractmethod
    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return ``n_tasks`` tensors of shape (batch, output_dim)."""
