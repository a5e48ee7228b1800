"""A bank of identical expert MLPs evaluated together with batched matrix products."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["BatchedLinear", "ExpertBank"]


class BatchedLinear(nn.Module):
    """``n_experts`` linear layers of the same sizes, applied in one batched product.

    Reads either one input shared by every expert, shape (batch, in_features),
    or one input per expert, shape (batch, n_experts, in_features), and
    returns (batch, n_experts, out_features). Each expert's layer is
    initialized as ``nn.Linear`` is. A layer of its own (rather than
    parameters of the whole bank) so that per-sample gradients, which
    differentially private training clips, are computed layer by layer from
    its input and output gradient.

    Parameters
    ----------
    n_experts, in_features, out_features : int

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.modules.experts import BatchedLinear
    >>> BatchedLinear(3, 8, 4)(torch.zeros(5, 8)).shape
    torch.Size([5, 3, 4])
    """

    def __init__(self, n_experts: int, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_experts, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(n_experts, out_features))
        bound = 1.0 / math.sqrt(in_features)  # nn.Linear's default initialization
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            return torch.einsum("nd,edo->neo", x, self.weight) + self.bias
        return torch.einsum("ned,edo->neo", x, self.weight) + self.bias


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
        self.layers = nn.ModuleList()
        self.norms = nn.ModuleList()
        width = input_dim
        for n_units in units:
            self.layers.append(BatchedLinear(n_experts, width, n_units))
            normalize = batch_norm and n_experts > 0
            self.norms.append(nn.BatchNorm1d(n_experts * n_units) if normalize else nn.Identity())
            width = n_units
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.output_dim = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Expert outputs of shape (batch, n_experts, output_dim).

        Parameters
        ----------
        x : Tensor of shape (batch, input_dim)
            The inputs every expert reads.

        Returns
        -------
        Tensor
        """
        n = x.shape[0]
        if self.n_experts == 0:
            return x.new_zeros((n, 0, self.output_dim))
        if not len(self.layers):  # experts without hidden layers are the identity
            return x.unsqueeze(1).expand(n, self.n_experts, x.shape[1])
        h = x
        for linear, norm in zip(self.layers, self.norms, strict=True):
            h = linear(h)
            h = norm(h.reshape(n, h.shape[1] * h.shape[2])).view(h.shape)
            h = self.dropout(torch.relu(h))
        return h

    def last_layer_parameters(self) -> list[nn.Parameter]:
        """Weights and biases of the last layer of every expert."""
        return [self.layers[-1].weight, self.layers[-1].bias] if len(self.layers) else []
