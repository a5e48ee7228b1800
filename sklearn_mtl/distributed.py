"""Data-parallel training under a ``torch.distributed`` launch, through Accelerate.

``MultiTaskRecommender(distributed=True)`` runs in every process that
``torchrun`` (or Ray Train's ``TorchTrainer``, or any launcher that sets
``RANK``/``WORLD_SIZE``/``MASTER_ADDR``) starts. Accelerate reads that
environment, joins the process group (gloo on CPU, nccl on CUDA) and wraps the
network in ``DistributedDataParallel``, which averages the gradients. What
this module adds is what a recommender needs around it: every process must
build the same vocabularies, tasks and seed before the first step, and the
few learned loss weights, which live outside the network, are averaged too.

skorch's ``AccelerateMixin`` is not used: it wraps the criterion in DDP (which
refuses a module without parameters), hands Accelerate the batch iterator
(ours is not a ``DataLoader``, so it would not be sharded) and replaces
``module_`` by the DDP wrapper (which hides the network's own methods and
prefixes its ``state_dict``).
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import Any

#: Loss weightings that compute per-task gradients by hand: their extra
#: backward passes bypass DDP's gradient averaging.
GRADIENT_WEIGHTINGS = ("gradnorm", "pcgrad")


def launched() -> bool:
    """Whether this process was started by a ``torch.distributed`` launcher.

    Examples
    --------
    >>> import os
    >>> launched() == ("WORLD_SIZE" in os.environ)
    True
    """
    return "WORLD_SIZE" in os.environ


def make_accelerator(device: str) -> Any:
    """An ``accelerate.Accelerator`` for data-parallel training on ``device``'s kind.

    Parameters
    ----------
    device : str
        The estimator's ``device``, such as ``"cpu"`` or ``"cuda"``.

    Returns
    -------
    accelerate.Accelerator

    Raises
    ------
    ImportError
        When Accelerate is not installed.
    ValueError
        When no launcher started this process.
    """
    try:
        from accelerate import Accelerator, DistributedDataParallelKwargs
    except ImportError:
        raise ImportError(
            "distributed=True trains through Accelerate: pip install 'sklearn-mtl[distributed]'."
        ) from None
    if not launched():
        raise ValueError(
            "distributed=True needs a process group: start the script with torchrun (e.g. "
            "`torchrun --standalone --nproc_per_node=2 script.py`) or another launcher that "
            "sets RANK and WORLD_SIZE; WORLD_SIZE is not set in this process."
        )
    # Some inputs (e.g. an unused history side) leave parameters without a
    # gradient in a step; DDP must not wait for them.
    ddp = DistributedDataParallelKwargs(find_unused_parameters=True)
    return Accelerator(cpu=not str(device).startswith("cuda"), kwargs_handlers=[ddp])


def shared_seed(accelerator: Any, seed: int) -> int:
    """Rank 0's ``seed`` on every rank (shuffling orders and splits must agree)."""
    from accelerate.utils import broadcast_object_list

    return int(broadcast_object_list([seed], from_process=0)[0])


def check_same_on_every_rank(accelerator: Any, value: Hashable, what: str) -> None:
    """Raise ``ValueError`` unless ``value`` is the same on every rank."""
    from accelerate.utils import gather_object

    values = gather_object([value])
    if any(v != values[0] for v in values):
        raise ValueError(
            f"distributed=True needs the same {what} on every process; got {values} by rank. "
            "Pass every process the same X and y (each trains on its own share of the "
            "batches), or the same categories."
        )


def average_gradients(accelerator: Any, parameters) -> None:
    """Average the gradients of ``parameters`` over the ranks (those outside DDP's module)."""
    for parameter in parameters:
        if parameter.grad is not None:
            parameter.grad.copy_(accelerator.reduce(parameter.grad, reduction="mean"))
