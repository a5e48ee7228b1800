"""Strategies that balance the losses of the tasks, one module each."""

from .base import LossWeighting
from .equal import FixedWeighting

__all__ = ["FixedWeighting", "LossWeighting"]
