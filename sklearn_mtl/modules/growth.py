"""Carrying trained weights into a network whose vocabularies have grown."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

__all__ = ["load_grown_state"]


def load_grown_state(module: nn.Module, state: Mapping[str, torch.Tensor]) -> list[str]:
    """Copy ``state`` into ``module``, whose tables may have more rows.

    Vocabularies only ever append codes, so the first rows of a grown
    embedding table are the old table and keep their trained values; the new
    rows keep their fresh initialization. Every other tensor must keep its
    shape.

    Parameters
    ----------
    module : nn.Module
        The new network (freshly built, larger vocabularies).
    state : mapping of str to Tensor
        ``state_dict()`` of the trained network.

    Returns
    -------
    list of str
        The names of the tensors that grew.

    Raises
    ------
    ValueError
        If a tensor is missing, or changed shape other than by gaining rows.
    """
    grown = []
    target = module.state_dict()
    missing = sorted(set(target) ^ set(state))
    if missing:
        raise ValueError(f"The networks differ in their tensors: {missing[:5]}.")
    with torch.no_grad():
        for name, new in target.items():
            old = state[name]
            if old.shape == new.shape:
                new.copy_(old)
            elif (
                old.dim() == new.dim() >= 1
                and old.shape[1:] == new.shape[1:]
                and (old.shape[0] < new.shape[0])
            ):
                new[: old.shape[0]].copy_(old)
                grown.append(name)
            else:
                raise ValueError(
                    f"Tensor {name!r} changed shape from {tuple(old.shape)} to "
                    f"{tuple(new.shape)}: the network's architecture parameters changed."
                )
    return grown
