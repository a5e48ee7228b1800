"""Carrying trained weights into a network whose vocabularies have grown or shrunk."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

__all__ = ["load_grown_state", "load_kept_rows"]


def _matching_state(module: nn.Module, state: Mapping[str, torch.Tensor]) -> dict:
    """``module``'s state dict, after checking that ``state`` names the same tensors."""
    target = module.state_dict()
    missing = sorted(set(target) ^ set(state))
    if missing:
        raise ValueError(f"The networks differ in their tensors: {missing[:5]}.")
    return target


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
    target = _matching_state(module, state)
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


def load_kept_rows(
    module: nn.Module, state: Mapping[str, torch.Tensor], rows: Mapping[str, torch.Tensor]
) -> None:
    """Copy ``state`` into ``module``, keeping only the given rows of some tables.

    Parameters
    ----------
    module : nn.Module
        The new network (freshly built, smaller vocabularies).
    state : mapping of str to Tensor
        ``state_dict()`` of the trained network.
    rows : mapping of str to Tensor
        Tensor name → the old rows that become the new table, in order. Every
        other tensor keeps its shape and is copied whole.

    Raises
    ------
    ValueError
        If a tensor is missing or does not fit.
    """
    target = _matching_state(module, state)
    with torch.no_grad():
        for name, new in target.items():
            old = state[name]
            if name in rows:
                old = old[rows[name].to(old.device)]
            if old.shape != new.shape:
                raise ValueError(
                    f"Tensor {name!r} of shape {tuple(old.shape)} does not fit {tuple(new.shape)}."
                )
            new.copy_(old)
