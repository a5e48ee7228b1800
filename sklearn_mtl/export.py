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
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .modules import InteractionHistory, MultiTaskNetwork

__all__ = ["ServingNetwork", "export_onnx", "onnx_input_names"]


def onnx_input_names(model: Any) -> list[str]:
    """Names of the graph's inputs, in order, for a fitted model."""
    names = []
    if model.schema_.categorical_columns_:
        names.append("categorical")
    if model.schema_.numeric_columns_:
        names.append("numeric")
    if model.interaction_history:
        names.append("in_history")
    if model.schema_.text_columns_:
        names.append("text")
    return names


class ServingNetwork(nn.Module):
    """The network with its numeric scaling in front and output transforms behind.

    Parameters
    ----------
    network : MultiTaskNetwork
        A trained network (copied; interaction histories are pooled).
    input_names : list of str
        Which of ``categorical``, ``numeric``, ``in_history``, ``text`` the
        graph takes, in order.
    mean, scale : ndarray
        Standardization of the numeric columns.
    tasks : list of Task
        Fitted tasks, in output order.
    """

    def __init__(
        self,
        network: MultiTaskNetwork,
        input_names: list[str],
        mean: np.ndarray,
        scale: np.ndarray,
        tasks: list,
    ) -> None:
        super().__init__()
        self.network = copy.deepcopy(network).cpu().eval()
        for embedding in self.network.embeddings:
            if isinstance(embedding.history, InteractionHistory):
                embedding.history = embedding.history.pooled()
        self.input_names = list(input_names)
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))
        self.task_types = [task.task_type for task in tasks]
        self.register_buffer(
            "target_mean",
            torch.tensor([getattr(task, "mean_", 0.0) for task in tasks], dtype=torch.float32),
        )
        self.register_buffer(
            "target_scale",
            torch.tensor([getattr(task, "scale_", 1.0) for task in tasks], dtype=torch.float32),
        )

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        given = dict(zip(self.input_names, inputs, strict=True))
        n = inputs[0].shape[0]
        categorical = given.get("categorical", torch.zeros((n, 0), dtype=torch.long))
        numeric = given.get("numeric", torch.zeros((n, 0), dtype=torch.float32))
        numeric = (numeric - self.mean) / self.scale
        raw = self.network(categorical, numeric, given.get("in_history"), given.get("text"))
        outputs = []
        for j, (kind, output) in enumerate(zip(self.task_types, raw, strict=True)):
            if kind == "binary":
                outputs.append(torch.sigmoid(output))
            elif kind == "multiclass":
                outputs.append(torch.softmax(output, dim=1))
            else:
                outputs.append(output * self.target_scale[j] + self.target_mean[j])
        return tuple(outputs)


def export_onnx(model: Any, path: str | os.PathLike, opset_version: int = 18) -> Path:
    """Write the ONNX graph of a fitted model; see the module doc."""
    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
        import onnxscript  # noqa: F401
    except ImportError as error:
        raise ImportError(
            'export_onnx needs onnx and onnxscript: pip install "sklearn-mtl[onnx]".'
        ) from error
    names = onnx_input_names(model)
    serving = ServingNetwork(
        model.net_.module_,
        names,
        model.schema_.mean_,
        model.schema_.scale_,
        list(model.tasks_.values()),
    ).eval()
    # Two example rows (batch normalization refuses none in some exporters).
    example = model.onnx_inputs(_example_rows(model))
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
                output_names=[str(task) for task in model.tasks_],
                dynamic_shapes=dynamic_shapes,
                opset_version=opset_version,
                verbose=False,
            )
    finally:
        exporter_log.setLevel(level)
    program.save(str(path))
    return path


def _example_rows(model: Any):
    """Two rows shaped like the training data (values do not matter)."""
    import pandas as pd

    schema = model.schema_
    columns = {}
    for column in getattr(model, "feature_names_in_", range(model.n_features_in_)):
        if column in schema.vocabularies_:
            vocabulary = schema.vocabularies_[column]
            columns[column] = [vocabulary[0] if len(vocabulary) else None] * 2
        elif column in schema.text_columns_:
            columns[column] = ["", ""]
        else:
            columns[column] = [float(schema.mean_[schema.numeric_columns_.index(column)])] * 2
    return pd.DataFrame(columns)
