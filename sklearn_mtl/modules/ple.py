"""Progressive Layered Extraction (Tang et al., RecSys 2020); one level is CGC."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from .base import MultiTaskArchitecture
from .experts import ExpertBank

__all__ = ["PLE"]


class PLE(MultiTaskArchitecture):
    """Task-specific and shared experts at every level, mixed by per-task gates.

    At each level, task ``t``'s gate mixes task ``t``'s own experts with the
    shared experts; below the last level a shared gate mixes every expert into
    the input of the next level's shared experts. Separating task-specific
    from shared experts is what lets PLE avoid the seesaw between tasks that
    MMoE can show. ``n_levels=1`` is Customized Gate Control (CGC).

    Parameters
    ----------
    input_dim : int
        Width of the embedded input vector.
    n_tasks : int
        Number of tasks.
    n_levels : int
        Number of extraction levels.
    n_task_experts : int
        Experts of each task at each level.
    n_shared_experts : int
        Shared experts at each level.
    units : sequence of int
        Hidden layer widths of each expert.
    dropout : float, default=0.0
        Dropout after each hidden layer of the experts.
    batch_norm : bool, default=False
        Batch normalization in each hidden layer of the experts.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.modules import PLE
    >>> ple = PLE(8, n_tasks=2, n_levels=2, n_task_experts=1, n_shared_experts=2, units=[4])
    >>> [t.shape for t in ple(torch.zeros(5, 8))]
    [torch.Size([5, 4]), torch.Size([5, 4])]
    >>> ple.expert_names()
    ['own_0', 'shared_0', 'shared_1']
    """

    has_gates = True

    summary = (
        "``n_levels`` levels of ``n_task_experts`` experts per task and "
        "``n_shared_experts`` shared experts, with gates (Tang et al., 2020); one level "
        "is CGC."
    )

    @classmethod
    def from_params(cls, params: Mapping[str, Any], tasks: Mapping[str, Any], **common) -> PLE:
        if params["n_task_experts"] + params["n_shared_experts"] == 0:
            raise ValueError(
                "architecture='ple' needs experts: n_task_experts and n_shared_experts are both 0."
            )
        return cls(
            n_levels=params["n_levels"],
            n_task_experts=params["n_task_experts"],
            n_shared_experts=params["n_shared_experts"],
            **common,
        )

    def __init__(
        self,
        input_dim: int,
        n_tasks: int,
        n_levels: int,
        n_task_experts: int,
        n_shared_experts: int,
        units: Sequence[int],
        dropout: float = 0.0,
        batch_norm: bool = False,
    ) -> None:
        super().__init__(input_dim, n_tasks)
        if n_levels < 1:
            raise ValueError(f"n_levels must be at least 1; got {n_levels}.")
        if n_task_experts < 0 or n_shared_experts < 0 or n_task_experts + n_shared_experts == 0:
            raise ValueError(
                "PLE needs at least one expert: n_task_experts and n_shared_experts are "
                f"{n_task_experts} and {n_shared_experts}."
            )
        self.n_levels = n_levels
        self.n_task_experts = n_task_experts
        self.n_shared_experts = n_shared_experts
        self.task_experts = nn.ModuleList()
        self.shared_experts = nn.ModuleList()
        self.task_gates = nn.ModuleList()
        self.shared_gates = nn.ModuleList()
        width = input_dim
        for level in range(n_levels):
            self.task_experts.append(
                nn.ModuleList(
                    ExpertBank(n_task_experts, width, units, dropout, batch_norm)
                    for _ in range(n_tasks)
                )
            )
            self.shared_experts.append(
                ExpertBank(n_shared_experts, width, units, dropout, batch_norm)
            )
            self.task_gates.append(
                nn.ModuleList(
                    nn.Linear(width, n_task_experts + n_shared_experts) for _ in range(n_tasks)
                )
            )
            if level < n_levels - 1:
                self.shared_gates.append(
                    nn.Linear(width, n_tasks * n_task_experts + n_shared_experts)
                )
            width = units[-1] if len(units) else width
        self.output_dim = width

    def _levels(self, x: torch.Tensor):
        """Run every level; yield each level's task gate weights and the new task inputs."""
        task_inputs, shared_input = [x] * self.n_tasks, x
        for level in range(self.n_levels):
            shared_out = self.shared_experts[level](shared_input)  # (n, S, d)
            task_out = [self.task_experts[level][t](task_inputs[t]) for t in range(self.n_tasks)]
            gates = [
                torch.softmax(self.task_gates[level][t](task_inputs[t]), dim=1)
                for t in range(self.n_tasks)
            ]
            new_inputs = [
                torch.einsum("ne,ned->nd", gates[t], torch.cat([task_out[t], shared_out], 1))
                for t in range(self.n_tasks)
            ]
            if level < self.n_levels - 1:
                every_expert = torch.cat([*task_out, shared_out], dim=1)
                shared_gate = torch.softmax(self.shared_gates[level](shared_input), dim=1)
                shared_input = torch.einsum("ne,ned->nd", shared_gate, every_expert)
            task_inputs = new_inputs
            yield gates, task_inputs

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        *_, (_, task_outputs) = self._levels(x)
        return task_outputs

    def gate_weights(self, x: torch.Tensor, level: int = -1) -> list[torch.Tensor]:
        level = range(self.n_levels)[level]
        for current, (gates, _) in enumerate(self._levels(x)):
            if current == level:
                return gates
        raise AssertionError("unreachable")

    def expert_names(self, level: int = -1) -> list[str]:
        return [f"own_{k}" for k in range(self.n_task_experts)] + [
            f"shared_{k}" for k in range(self.n_shared_experts)
        ]

    def shared_parameters(self) -> list[nn.Parameter]:
        # Below the last level the shared gate mixes every expert, task experts
        # included, into the next shared input: those experts serve all tasks.
        shared = list(self.shared_experts.parameters()) + list(self.shared_gates.parameters())
        for level in range(self.n_levels - 1):
            shared += list(self.task_experts[level].parameters())
        return shared

    def last_shared_parameters(self) -> list[nn.Parameter]:
        return self.shared_experts[-1].last_layer_parameters()
