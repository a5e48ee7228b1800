"""One independent network per task: the single-task baseline inside the same estimator."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .base import MultiTaskArchitecture
from .mlp import MLP

__all__ = ["SingleTask"]


class SingleTask(MultiTaskArchitecture):
    """Nothing shared: each task has its own embeddings and its own MLP.

    Trained together, the tasks still never exchange a gradient, so this is
    the fair single-task twin of any multi-task configuration of the same
    sizes (same data pipeline, same epochs, same optimizer).

    Parameters
    ----------
    input_dim : int
        Width of one task's embedded input vector.
    n_tasks : int
        Number of tasks.
    units : sequence of int
        Hidden layer widths of each task's MLP.
    dropout : float, default=0.0
        Dropout after each hidden layer.
    batch_norm : bool, default=False
        Batch normalization in each hidden layer.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.modules import SingleTask
    >>> single = SingleTask(input_dim=4, n_tasks=2, units=[3])
    >>> [t.shape for t in single(torch.zeros(5, 2 * 4))]  # two embedded copies side by side
    [torch.Size([5, 3]), torch.Size([5, 3])]
    """

    separate_embeddings = True

    summary = (
        "one independent network per task (own embeddings, own MLP of ``shared_units``): "
        "the single-task baseline."
    )

    def __init__(
        self,
        input_dim: int,
        n_tasks: int,
        units: Sequence[int],
        dropout: float = 0.0,
        batch_norm: bool = False,
    ) -> None:
        super().__init__(input_dim, n_tasks)
        self.networks = nn.ModuleList(
            MLP(input_dim, units, dropout, batch_norm) for _ in range(n_tasks)
        )
        self.output_dim = self.networks[0].output_dim

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        inputs = torch.split(x, self.input_dim, dim=1)
        return [net(part) for net, part in zip(self.networks, inputs, strict=True)]

    def shared_parameters(self) -> list[nn.Parameter]:
        return []
