"""A bank of identical expert MLPs evaluated together with batched matrix products."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ExpertBank"]


class ExpertBank(nn.Module):
    """``n_experts`` MLPs with the same sizes, reading the same input.

    Equivalent to a list of :class:`~sklearn_mtl.modules.MLP` (each layer
    initialized as ``nn.Linear`` is), but each layer of all experts is one
    batched matrix product: a few large kernels instead of many small ones,
    which is what makes mixtures of experts cheap on CPU.

    Parameters
    ----------
    n_experts : int
        Number of experts (may be 0: the bank then returns no expert).
    input_dim : int
        Width of the input.
    units : sequence of int
        Hidden layer widths of every expert.
    dropout : float, default=0.0
        Dropout after each hidden layer.
    batch_norm : bool, default=False
        Batch normalization (per expert and unit) in each hidden layer.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.modules.experts import ExpertBank
    >>> ExpertBank(3, input_dim=8, units=[16, 4])(torch.zeros(5, 8)).shape
    torch.Size([5, 3, 4])
    """

    def __init__(
        self,
        n_experts: int,
        input_dim: int,
        units: Sequence[int],
        dropout: float = 0.0,
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        self.n_experts = n_experts
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.norms = nn.ModuleList()
        width = input_dim
        for n_units in units:
            bound = 1.0 / math.sqrt(width)  # nn.Linear's default initialization
            self.weights.append(nn.Parameter(torch.empty(n_experts, width, n_units)))
            self.biases.append(nn.Parameter(torch.empty(n_experts, n_units)))
            nn.init.uniform_(self.weights[-1], -bound, bound)
            nn.init.uniform_(self.biases[-1], -bound, bound)
            normalize = batch_norm and n_experts > 0
            self.norms.append(nn.BatchNorm1d(n_experts * n_units) if normalize else nn.Identity())
            width = n_units
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.output_dim = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Expert outputs of shape (batch, n_experts, output_dim)."""
        n = x.shape[0]
        if self.n_experts == 0:
            return x.new_zeros((n, 0, self.output_dim))
        if not len(self.weights):  # experts without hidden layers are the identity
            return x.unsqueeze(1).expand(n, self.n_experts, x.shape[1])
        h = torch.einsum("nd,edo->neo", x, self.weights[0]) + self.biases[0]
        for layer in range(len(self.weights)):
            if layer > 0:
                h = torch.einsum("ned,edo->neo", h, self.weights[layer]) + self.biases[layer]
            h = self.norms[layer](h.reshape(n, -1)).view(n, self.n_experts, -1)
            h = self.dropout(torch.relu(h))
        return h

    def last_layer_parameters(self) -> list[nn.Parameter]:
        """Weights and biases of the last layer of every expert."""
        return [self.weights[-1], self.biases[-1]] if len(self.weights) else []
