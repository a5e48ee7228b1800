"""ONNX export of a fitted ``MultiTaskRecommender``, for serving without Python.

The graph takes the encoded inputs (categorical codes, raw numeric features,
and where the model has them the interaction flags and text vectors),
standardizes the numbers itself, runs the network, and returns each task's
prediction: the positive-class probability of a binary task, the class
probabilities of a multiclass task, the value of a regression task.
"""

from __future__ import annotations

import copy
import logging
import os
import warnings
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from .inputs import CATEGORICAL, IN_HISTORY, INPUT_NAMES, NUMERIC, TEXT, NetworkInputs
from .modules import InteractionHistory, MultiTaskNetwork
from .schema import FeatureSchema
from .tasks import Task

__all__ = ["ServingNetwork", "example_rows", "export_onnx", "onnx_inputs"]


def onnx_inputs(features: NetworkInputs, numeric_values: np.ndarray) -> dict[str, np.ndarray]:
    """The graph's inputs for encoded rows, in graph order.

    Parameters
    ----------
    features : dict
        The network inputs of the rows (see :mod:`sklearn_mtl.inputs`).
    numeric_values : ndarray of shape (n_samples, n_numeric)
        The raw numeric columns: the graph standardizes them itself.
    """
    inputs = {}
    if features[CATEGORICAL].shape[1]:
        inputs[CATEGORICAL] = np.asarray(features[CATEGORICAL], dtype=np.int64)
    if numeric_values.shape[1]:
        inputs[NUMERIC] = numeric_values.astype(np.float32)
    if IN_HISTORY in features:
        inputs[IN_HISTORY] = np.asarray(features[IN_HISTORY], dtype=np.float32)
    if TEXT in features:
        inputs[TEXT] = features[TEXT][:].numpy()
    return inputs


def example_rows(schema: FeatureSchema, columns: Sequence[Hashable]) -> pd.DataFrame:
    """Two rows with the fitted ``columns`` (values do not matter), to trace the graph."""
    values = {}
    for column in columns:
        if column in schema.vocabularies_:
            vocabulary = schema.vocabularies_[column]
            values[column] = [vocabulary[0] if len(vocabulary) else None] * 2
        elif column in schema.text_columns_:
            values[column] = ["", ""]
        else:
            values[column] = [float(schema.mean_[schema.numeric_columns_.index(column)])] * 2
    return pd.DataFrame(values)


class ServingNetwork(nn.Module):
    """The network with its numeric scaling in front and each task's output behind.

    Parameters
    ----------
    network : MultiTaskNetwork
        A trained network (copied; interaction histories are pooled).
    input_names : list of str
        Which of the :data:`~sklearn_mtl.inputs.INPUT_NAMES` the graph takes,
        in that order.
    mean, scale : ndarray
        Standardization of the numeric columns.
    tasks : list of Task
        Fitted tasks, in output order; each output is :meth:`Task.output`.
    """

    def __init__(
        self,
        network: MultiTaskNetwork,
        input_names: list[str],
        mean: np.ndarray,
        scale: np.ndarray,
        tasks: list[Task],
    ) -> None:
        super().__init__()
        self.network = copy.deepcopy(network).cpu().eval()
        for embedding in self.network.embeddings:
            if isinstance(embedding.history, InteractionHistory):
                embedding.history = embedding.history.pooled()
        self.input_names = list(input_names)
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))
        self.tasks = list(tasks)

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        given = dict(zip(self.input_names, inputs, strict=True))
        n = inputs[0].shape[0]
        categorical = given.get(CATEGORICAL, torch.zeros((n, 0), dtype=torch.long))
        numeric = given.get(NUMERIC, torch.zeros((n, 0), dtype=torch.float32))
        numeric = (numeric - self.mean) / self.scale
        raw = self.network(categorical, numeric, given.get(IN_HISTORY), given.get(TEXT))
        return tuple(task.output(out) for task, out in zip(self.tasks, raw, strict=True))


def export_onnx(
    network: MultiTaskNetwork,
    schema: FeatureSchema,
    tasks: Mapping[str, Task],
    example: Mapping[str, np.ndarray],
    path: str | os.PathLike,
    opset_version: int = 18,
) -> Path:
    """Write the ONNX graph of a trained network; see the module doc.

    ``example`` holds :func:`onnx_inputs` of a few rows: its names are the
    graph's inputs, and its arrays trace the graph.
    """
    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
        import onnxscript  # noqa: F401
    except ImportError as error:
        raise ImportError(
            'export_onnx needs onnx and onnxscript: pip install "sklearn-mtl[onnx]".'
        ) from error
    names = [name for name in INPUT_NAMES if name in example]
    serving = ServingNetwork(
        network, names, schema.mean_, schema.scale_, list(tasks.values())
    ).eval()
    args = tuple(torch.as_tensor(example[name]) for name in names)
    batch = torch.export.Dim("batch")
    # forward(*inputs) is one (variadic) argument to torch.export.
    dynamic_shapes = (tuple({0: batch} for _ in names),)
    path = Path(path)
    # The exporter narrates every step (and the absence of torchvision): quiet it.
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                serving,
                args,
                dynamo=True,
                input_names=names,
                output_names=[str(task) for task in tasks],
                dynamic_shapes=dynamic_shapes,
                opset_version=opset_version,
                verbose=False,
            )
    finally:
        exporter_log.setLevel(level)
    program.save(str(path))
    return path
