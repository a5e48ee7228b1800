"""Multi-gate Mixture-of-Experts (Ma et al., KDD 2018)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from .base import MultiTaskArchitecture
from .experts import ExpertBank

__all__ = ["MMoE"]


class MMoE(MultiTaskArchitecture):
    """Experts shared by all tasks, mixed by one softmax gate per task.

    Each task's representation is ``sum_e g_t(x)[e] * expert_e(x)``, where the
    gate ``g_t`` is a linear layer followed by a softmax over the experts. Tasks
    that conflict can learn to use different experts.

    Parameters
    ----------
    input_dim : int
        Width of the embedded input vector.
    n_tasks : int
        Number of tasks (and gates).
    n_experts : int
        Number of experts.
    units : sequence of int
        Hidden layer widths of each expert.
    dropout : float, default=0.0
        Dropout after each hidden layer of the experts.
    batch_norm : bool, default=False
        Batch normalization in each hidden layer of the experts.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.modules import MMoE
    >>> mmoe = MMoE(input_dim=8, n_tasks=2, n_experts=3, units=[4])
    >>> [t.shape for t in mmoe(torch.zeros(5, 8))]
    [torch.Size([5, 4]), torch.Size([5, 4])]
    >>> torch.allclose(mmoe.gate_weights(torch.zeros(5, 8))[0].sum(dim=1), torch.ones(5))
    True
    """

    has_gates = True

    summary = (
        "``n_experts`` experts (each an MLP of ``shared_units``) mixed by one softmax gate "
        "per task (Ma et al., 2018)."
    )

    @classmethod
    def from_params(cls, params: Mapping[str, Any], tasks: Mapping[str, Any], **common) -> MMoE:
        return cls(n_experts=params["n_experts"], **common)

    def __init__(
        self,
        input_dim: int,
        n_tasks: int,
        n_experts: int,
        units: Sequence[int],
        dropout: float = 0.0,
        batch_norm: bool = False,
    ) -> None:
        super().__init__(input_dim, n_tasks)
        if n_experts < 1:
            raise ValueError(f"n_experts must be at least 1; got {n_experts}.")
        self.experts = ExpertBank(n_experts, input_dim, units, dropout, batch_norm)
        self.gates = nn.ModuleList(nn.Linear(input_dim, n_experts) for _ in range(n_tasks))
        self.output_dim = self.experts.output_dim

    def gate_weights(self, x: torch.Tensor, level: int = -1) -> list[torch.Tensor]:
        return [torch.softmax(gate(x), dim=1) for gate in self.gates]

    def expert_names(self, level: int = -1) -> list[str]:
        return [f"expert_{e}" for e in range(self.experts.n_experts)]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        experts = self.experts(x)  # (n, E, d)
        return [torch.einsum("ne,ned->nd", weights, experts) for weights in self.gate_weights(x)]

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.experts.parameters())

    def last_shared_parameters(self) -> list[nn.Parameter]:
        return self.experts.last_layer_parameters()
