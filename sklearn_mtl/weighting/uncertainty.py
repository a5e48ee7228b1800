"""Homoscedastic uncertainty weighting (Kendall, Gal and Cipolla, CVPR 2018)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .base import LossWeighting

__all__ = ["UncertaintyWeighting"]


class UncertaintyWeighting(LossWeighting):
    """Learns one log-variance ``s_t`` per task: loss ``sum_t 0.5 exp(-s_t) L_t + 0.5 s_t``.

    A task whose loss stays high (noisy) learns a large variance and a small
    weight ``0.5 exp(-s_t)``; the ``0.5 s_t`` term keeps variances from growing
    without bound. The log-variances are trained with the network and logged
    per epoch as ``log_var_<task>``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.weighting import UncertaintyWeighting
    >>> UncertaintyWeighting().build(2)(torch.tensor([1.0, 3.0]))  # s = 0 at the start
    tensor(2., grad_fn=<SumBackward0>)
    """

    def build(self, n_tasks: int) -> UncertaintyWeighting:
        super().build(n_tasks)
        self.log_vars = nn.Parameter(torch.zeros(n_tasks))
        return self

    def forward(self, task_losses: torch.Tensor) -> torch.Tensor:
        return (0.5 * torch.exp(-self.log_vars) * task_losses + 0.5 * self.log_vars).sum()

    def weights(self) -> torch.Tensor:
        return 0.5 * torch.exp(-self.log_vars)

    def history_items(self, task_names: Sequence[str]) -> dict[str, float]:
        items = super().history_items(task_names)
        for name, value in zip(task_names, self.log_vars.detach().cpu(), strict=True):
            items[f"log_var_{name}"] = float(value)
        return items
