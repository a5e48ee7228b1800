"""Dynamic Weight Average (Liu, Johns and Davison, CVPR 2019)."""

from __future__ import annotations

import torch

from .base import LossWeighting

__all__ = ["DynamicWeightAverage"]


class DynamicWeightAverage(LossWeighting):
    """Weights from how fast each task's loss falls: slow tasks get more weight.

    With ``r_t = L_t(e-1) / L_t(e-2)`` the ratio of a task's mean training loss
    over the last two epochs, epoch ``e`` uses
    ``w_t = n_tasks * softmax(r / temperature)_t``. The first two epochs use
    weight 1 for every task.

    Parameters
    ----------
    temperature : float, default=2.0
        Softness of the weights; large values make them equal.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.weighting import DynamicWeightAverage
    >>> dwa = DynamicWeightAverage().build(2)
    >>> for losses in ([1.0, 1.0], [0.5, 1.0]):  # task 0 halves, task 1 stalls
    ...     _ = dwa(torch.tensor(losses)); dwa.end_epoch()
    >>> dwa.weights()
    tensor([0.8756, 1.1244])
    """

    def __init__(self, temperature: float = 2.0) -> None:
        super().__init__()
        if not temperature > 0:
            raise ValueError(f"temperature must be positive; got {temperature}.")
        self.temperature = temperature

    def build(self, n_tasks: int) -> DynamicWeightAverage:
        super().build(n_tasks)
        self.register_buffer("current", torch.ones(n_tasks))
        self.register_buffer("epoch_sum", torch.zeros(n_tasks))
        self.register_buffer("epoch_batches", torch.zeros(()))
        self.register_buffer("previous_means", torch.full((2, n_tasks), float("nan")))
        return self

    def forward(self, task_losses: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.epoch_sum += task_losses.detach()
            self.epoch_batches += 1
        return (self.current * task_losses).sum()

    def end_epoch(self) -> None:
        if self.epoch_batches == 0:
            return
        mean = self.epoch_sum / self.epoch_batches
        self.previous_means = torch.stack([self.previous_means[1], mean])
        self.epoch_sum.zero_()
        self.epoch_batches.zero_()
        if not torch.isnan(self.previous_means).any():
            ratio = self.previous_means[1] / self.previous_means[0].clamp(min=1e-12)
            self.current = self.n_tasks * torch.softmax(ratio / self.temperature, dim=0)

    def weights(self) -> torch.Tensor:
        return self.current
