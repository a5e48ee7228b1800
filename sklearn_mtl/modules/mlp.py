"""The multi-layer perceptron that experts, bottoms and towers are made of."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

__all__ = ["MLP"]


class MLP(nn.Sequential):
    """Linear → (BatchNorm) → ReLU → Dropout blocks, one per entry of ``units``.

    Parameters
    ----------
    input_dim : int
        Width of the input.
    units : sequence of int
        Width of each hidden layer; empty means the identity.
    dropout : float, default=0.0
        Dropout probability after each hidden layer.
    batch_norm : bool, default=False
        Batch normalization between each linear layer and its activation.

    Attributes
    ----------
    output_dim : int
        Width of the output: the last entry of ``units``, else ``input_dim``.
    """

    def __init__(
        self,
        input_dim: int,
        units: Sequence[int],
        dropout: float = 0.0,
        batch_norm: bool = False,
    ) -> None:
        layers: list[nn.Module] = []
        width = input_dim
        for n_units in units:
            layers.append(nn.Linear(width, n_units))
            if batch_norm:
                layers.append(nn.BatchNorm1d(n_units))
            layers.append(nn.ReLU())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = n_units
        super().__init__(*layers)
        self.output_dim = width
