"""GradNorm (Chen et al., ICML 2018): balance the tasks' gradient norms."""

from __future__ import annotations

import torch
from torch import nn

from .base import LossWeighting

__all__ = ["GradNorm"]


def _gradient_norm(loss: torch.Tensor, parameters: list[nn.Parameter]) -> torch.Tensor:
    grads = torch.autograd.grad(loss, parameters, retain_graph=True, allow_unused=True)
    squares = [g.pow(2).sum() for g in grads if g is not None]
    return torch.stack(squares).sum().sqrt() if squares else loss.new_zeros(())


class GradNorm(LossWeighting):
    """Learns task weights so that each task trains the shared layer at a fitting rate.

    With ``G_t = ||grad_W w_t L_t||`` on the last shared layer ``W`` and
    ``r_t`` the task's loss ratio ``L_t / L_t(0)`` relative to the mean ratio,
    the weights minimize ``sum_t |G_t - mean(G) r_t ** alpha|`` (the target
    is a constant), while the network minimizes ``sum_t w_t L_t``. After each
    step the weights are kept positive and renormalized to sum to
    ``n_tasks``. ``G_t = w_t ||grad_W L_t||`` is linear in ``w_t``, so the
    weight gradient needs no second-order backward pass.

    Without a shared layer (``architecture="single"``) nothing is shared to
    balance and the weights stay at 1.

    Parameters
    ----------
    alpha : float, default=1.5
        Strength of the pull towards equal training rates.

    Examples
    --------
    >>> from sklearn_mtl.weighting import GradNorm
    >>> GradNorm(alpha=1.0).build(3).weights().tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, alpha: float = 1.5) -> None:
        super().__init__()
        if not alpha >= 0:
            raise ValueError(f"alpha must be non-negative; got {alpha}.")
        self.alpha = alpha

    def build(self, n_tasks: int) -> GradNorm:
        super().build(n_tasks)
        self.task_weights = nn.Parameter(torch.ones(n_tasks))
        self.register_buffer("initial_losses", torch.full((n_tasks,), float("nan")))
        return self

    def forward(self, task_losses: torch.Tensor) -> torch.Tensor:
        return (self.task_weights * task_losses).sum()

    def weights(self) -> torch.Tensor:
        return self.task_weights

    def backward_step(self, task_losses: torch.Tensor, network: nn.Module) -> torch.Tensor:
        shared = [p for p in network.last_shared_parameters() if p.requires_grad]
        if not shared:
            shared = [p for p in network.shared_parameters() if p.requires_grad]
        detached = task_losses.detach()
        total = (self.task_weights.detach() * task_losses).sum()
        if not shared:
            total.backward()
            return total

        # L_t(0): the first batch on which the task has a label.
        unset = torch.isnan(self.initial_losses) & (detached > 0)
        self.initial_losses = torch.where(unset, detached, self.initial_losses)
        ratio = torch.nan_to_num(detached / self.initial_losses, nan=1.0)
        relative_rate = ratio / ratio.mean().clamp(min=1e-12)

        raw_norms = torch.stack([_gradient_norm(loss, shared) for loss in task_losses])
        norms = self.task_weights * raw_norms
        target = (norms.mean() * relative_rate**self.alpha).detach()
        gradnorm_loss = (norms - target).abs().sum()
        (self.task_weights.grad,) = torch.autograd.grad(gradnorm_loss, [self.task_weights])
        total.backward()
        return total

    @torch.no_grad()
    def after_step(self) -> None:
        self.task_weights.clamp_(min=1e-4)
        self.task_weights.mul_(self.n_tasks / self.task_weights.sum())
