"""PCGrad (Yu et al., NeurIPS 2020): project away conflicting task gradients."""

from __future__ import annotations

import torch
from torch import nn

from .base import LossWeighting

__all__ = ["PCGrad", "project_conflicting"]


def project_conflicting(grads: torch.Tensor) -> torch.Tensor:
    """PCGrad's projection of each task gradient against the others.

    For each task ``i``, in a random order of the other tasks ``j``, when
    ``g_i · g_j < 0`` the component of ``g_i`` along ``g_j`` is removed:
    ``g_i -= (g_i · g_j) / ||g_j||² g_j``.

    Parameters
    ----------
    grads : Tensor of shape (n_tasks, n_parameters)
        Each task's gradient of the shared parameters, flattened.

    Returns
    -------
    Tensor of shape (n_tasks, n_parameters)
        The projected gradients.
    """
    projected = grads.clone()
    squared_norms = (grads * grads).sum(dim=1).clamp(min=1e-20)
    n_tasks = len(grads)
    for i in range(n_tasks):
        for j in torch.randperm(n_tasks).tolist():
            if j == i:
                continue
            dot = projected[i] @ grads[j]
            # No branch on the sign: keeps the computation on the device.
            projected[i] -= dot.clamp(max=0) / squared_norms[j] * grads[j]
    return projected


class PCGrad(LossWeighting):
    """Sums the task gradients after projecting away their conflicts on shared parameters.

    Task-specific parameters get their usual gradients; each shared parameter
    gets the sum of the projected task gradients (:func:`project_conflicting`).
    Costs one backward pass per task.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.weighting.pcgrad import project_conflicting
    >>> g = project_conflicting(torch.tensor([[1.0, 0.0], [-1.0, 1.0]]))
    >>> (g[0] @ torch.tensor([-1.0, 1.0])).item()  # no longer conflicts
    0.0
    """

    def forward(self, task_losses: torch.Tensor) -> torch.Tensor:
        return task_losses.sum()

    def weights(self) -> torch.Tensor:
        return torch.ones(self.n_tasks)

    def backward_step(self, task_losses: torch.Tensor, network: nn.Module) -> torch.Tensor:
        shared = [p for p in network.shared_parameters() if p.requires_grad]
        total = self(task_losses)
        if not shared or self.n_tasks < 2:
            total.backward()
            return total
        per_task = []
        for loss in task_losses:
            grads = torch.autograd.grad(loss, shared, retain_graph=True, allow_unused=True)
            per_task.append(
                torch.cat(
                    [
                        (torch.zeros_like(p) if g is None else g).flatten()
                        for p, g in zip(shared, grads, strict=True)
                    ]
                )
            )
        combined = project_conflicting(torch.stack(per_task)).sum(dim=0)
        total.backward()  # gradients of the task-specific parameters
        offset = 0
        for p in shared:
            p.grad = combined[offset : offset + p.numel()].view_as(p).clone()
            offset += p.numel()
        return total
