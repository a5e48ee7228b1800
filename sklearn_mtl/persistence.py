"""Saving and loading a fitted ``MultiTaskRecommender`` without pickle.

A saved model is a folder of two files:

- ``config.json``: the constructor parameters and everything learned that is
  not a tensor (tasks, column roles, vocabularies, scalers, the users and
  items of the catalog, the text encoders' settings), with the format version
  and the library and torch versions that wrote it;
- ``model.safetensors``: the network's weights, the loss-weighting state, the
  optimizer's state (so that training continues where it stopped), the
  interaction keys and the text encoders' reductions, as CPU tensors.

``config.json`` also holds the per-epoch training log (losses, metrics and
loss weights; no row of data) and, for a model trained with ``dp_epsilon``,
the privacy accounting (noise multiplier, delta, the steps taken).

Saved with ``include_interactions=False``, the folder holds no (user, item)
pair: no interaction keys, each pooled interaction history frozen into every
user's and item's sum (as the ONNX export does), and no optimizer state (such
a model predicts and recommends but does not train on).

Loading reads JSON and safetensors only, so a file can carry data but never
code: nothing is unpickled and nothing is imported by name. The price is that
only the library's own components can be saved; a model with a custom
architecture class, loss-weighting object, task object or text encoder is
refused with a message pointing to joblib (for trusted files).

This module turns a fitted model into files and files back into a
:class:`SavedModel`; the estimator assembles itself from that (its network
through :mod:`sklearn_mtl.builder`, as in ``fit``).
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA

from ._version import __version__
from .builder import batch_size_in_force
from .catalog import Catalog
from .schema import FeatureSchema
from .tasks import BinaryTask, MulticlassTask, RegressionTask, make_task
from .text import SentenceEmbedder

__all__ = ["FORMAT_VERSION", "SavedModel", "read_model", "save_model"]

#: Version of the folder layout and of ``config.json``; bumped on any change
#: that an older reader would misread. 2: expert layers are modules of their
#: own (``experts.layers.<k>.weight`` instead of ``experts.weights.<k>``).
#: 3: factorization terms and embedding decay (parameters an older file
#: lacks: it loads without them), regression tasks' range, AdamW groups.
FORMAT_VERSION = 3
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


# --------------------------------------------------------- typed JSON values


def to_json(value: Any, where: str) -> Any:
    """A JSON value that :func:`from_json` turns back into ``value`` exactly.

    Plain JSON covers None, bool, int, str and finite floats; tuples, dicts
    (with any scalar keys) and non-finite floats are tagged. Anything else
    (an object, a class) cannot be saved: ``where`` names it in the error.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, tuple):
        return {"tuple": [to_json(v, where) for v in value]}
    if isinstance(value, list | np.ndarray | pd.Index):
        return [to_json(v, where) for v in list(value)]
    if isinstance(value, dict):
        return {"dict": [[to_json(k, where), to_json(v, where)] for k, v in value.items()]}
    raise TypeError(
        f"{where} holds a {type(value).__name__}, which save() cannot store without "
        "pickle. Only the library's own components are saved; use joblib.dump for "
        "models with custom objects (and load those files only if you trust them)."
    )


def from_json(value: Any) -> Any:
    """Inverse of :func:`to_json`."""
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"float"}:
            return float(value["float"])
        if set(value) == {"tuple"}:
            return tuple(from_json(v) for v in value["tuple"])
        if set(value) == {"dict"}:
            return {from_json(k): from_json(v) for k, v in value["dict"]}
        raise ValueError(f"config.json holds an unknown tagged value: {sorted(value)}.")
    return value


def _index_to_json(index: pd.Index, where: str) -> dict:
    return {"dtype": str(index.dtype), "values": to_json(list(index), where)}


def _index_from_json(spec: dict) -> pd.Index:
    return pd.Index(from_json(spec["values"]), dtype=_dtype(spec["dtype"]))


def _dtype(name: str) -> Any:
    # "str" is pandas' text dtype; everything else is understood by pandas as is.
    return "str" if name == "str" else (object if name == "object" else name)


def _frame_to_json(frame: pd.DataFrame, where: str) -> dict:
    return {
        "index": _index_to_json(frame.index, where),
        "columns": [
            {
                "name": to_json(name, where),
                "dtype": str(frame[name].dtype),
                "values": to_json(frame[name].astype(object).tolist(), f"{where}[{name!r}]"),
            }
            for name in frame.columns
        ],
    }


def _frame_from_json(spec: dict) -> pd.DataFrame:
    index = _index_from_json(spec["index"])
    columns = {}
    for column in spec["columns"]:
        values = from_json(column["values"])
        dtype = column["dtype"]
        series = pd.Series(values, index=index, dtype=object)
        columns[from_json(column["name"])] = (
            series.astype("category") if dtype == "category" else series.astype(_dtype(dtype))
        )
    return pd.DataFrame(columns, index=index)


# ------------------------------------------------------------------ saving


def _params_to_json(model: Any) -> dict:
    params = model.get_params(deep=False)
    out = {}
    for name, value in params.items():
        if name == "random_state" and isinstance(value, np.random.RandomState):
            warnings.warn(
                "random_state is a RandomState instance, which is not saved; the loaded "
                "model has random_state=None (it only matters when refitting).",
                UserWarning,
                stacklevel=3,
            )
            value = None
        if name == "text_encoder" and type(value) is SentenceEmbedder:
            out[name] = {"SentenceEmbedder": to_json(value.get_params(), name)}
            continue
        out[name] = to_json(value, f"Parameter {name!r}")
    return out


def _tasks_to_json(model: Any) -> list[dict]:
    specs = []
    for name, task in model.tasks_.items():
        if type(task) not in (BinaryTask, MulticlassTask, RegressionTask):
            raise TypeError(
                f"Task {name!r} is a custom {type(task).__name__}, which save() cannot "
                "store without pickle; use joblib.dump for such models."
            )
        spec = {"name": to_json(name, "a task name"), "type": task.task_type}
        if task.is_classifier:
            spec["classes"] = to_json(list(task.classes_), f"classes of task {name!r}")
            spec["classes_dtype"] = str(task.classes_.dtype)
        else:
            spec["mean"], spec["scale"] = task.mean_, task.scale_
            spec["min"], spec["max"], spec["clip"] = task.min_, task.max_, bool(task.clip)
        specs.append(spec)
    return specs


def _schema_to_json(schema: Any) -> dict:
    return {
        "categorical_features": to_json(schema.categorical_features, "categorical_features"),
        "always_categorical": to_json(list(schema.always_categorical), "ids"),
        "text_features": to_json(list(schema.text_features), "text_features"),
        "categorical_columns": to_json(schema.categorical_columns_, "columns"),
        "numeric_columns": to_json(schema.numeric_columns_, "columns"),
        "text_columns": to_json(schema.text_columns_, "columns"),
        "vocabularies": [
            _index_to_json(schema.vocabularies_[c], f"categories of column {c!r}")
            for c in schema.categorical_columns_
        ],
        "mean": [float(v) for v in schema.mean_],
        "scale": [float(v) for v in schema.scale_],
    }


def _catalog_to_json(catalog: Any) -> dict:
    return {
        "user_col": to_json(catalog.user_col, "user_col"),
        "item_col": to_json(catalog.item_col, "item_col"),
        "user_features": to_json(catalog.user_features, "user_features"),
        "item_features": to_json(catalog.item_features, "item_features"),
        "user_features_": to_json(catalog.user_features_, "user_features"),
        "item_features_": to_json(catalog.item_features_, "item_features"),
        "context_features_": to_json(catalog.context_features_, "columns"),
        "n_item_codes_": int(catalog.n_item_codes_),
        "users_": _frame_to_json(catalog.users_, "the users table"),
        "items_": _frame_to_json(catalog.items_, "the items table"),
    }


def _text_encoders_to_json(model: Any, tensors: dict[str, torch.Tensor]) -> list[dict]:
    specs = []
    for j, (column, encoder) in enumerate(model.text_encoders_.items()):
        if type(encoder) is not SentenceEmbedder:
            raise TypeError(
                f"The text encoder of column {column!r} is a {type(encoder).__name__}; "
                "save() stores SentenceEmbedder only. Use joblib.dump for such models."
            )
        pcas = []
        for k, pca in enumerate(encoder.pcas_):
            if pca is None:
                pcas.append(None)
                continue
            prefix = f"text.{j}.pca.{k}."
            for attribute in ("components_", "mean_", "explained_variance_"):
                tensors[prefix + attribute] = (
                    torch.as_tensor(getattr(pca, attribute)).contiguous().clone()
                )
            pcas.append({"params": to_json(pca.get_params(), "PCA"), "prefix": prefix})
        specs.append(
            {
                "column": to_json(column, "text_features"),
                "params": to_json(encoder.get_params(), "SentenceEmbedder"),
                "embedding_dim_": int(encoder.embedding_dim_),
                "n_output_per_column_": int(encoder.n_output_per_column_),
                "pcas_": pcas,
            }
        )
    return specs


def _optimizer_to_json(optimizer: torch.optim.Optimizer, tensors: dict) -> dict:
    """The optimizer's hyperparameters as JSON; its per-parameter moments into ``tensors``."""
    state = optimizer.state_dict()
    for index, values in state["state"].items():
        for name, value in values.items():
            tensors[f"optimizer.{index}.{name}"] = torch.as_tensor(value).detach().cpu().clone()
    return {
        "param_groups": to_json(state["param_groups"], "the optimizer's settings"),
        "state": [[int(index), sorted(values)] for index, values in state["state"].items()],
    }


def _history_to_json(history: list) -> list:
    # Epoch rows only: the per-batch losses are many and say nothing more.
    rows = [{k: v for k, v in row.items() if k != "batches"} for row in history]
    return to_json(rows, "the training history")


def _module_state(module: Any, include_interactions: bool) -> dict[str, torch.Tensor]:
    """The network's tensors; without interactions, each history frozen into its pooled sums."""
    state = module.state_dict()
    if include_interactions:
        return state
    for k, embedding in enumerate(module.embeddings):
        if embedding.history is None:
            continue
        prefix = f"embeddings.{k}.history."
        state = {key: value for key, value in state.items() if not key.startswith(prefix)}
        for key, value in embedding.history.pooled().state_dict().items():
            state[prefix + key] = value
    return state


def save_model(
    model: Any, path: str | os.PathLike, *, target_layout: str, include_interactions: bool = True
) -> Path:
    """Write the fitted ``model`` to the folder ``path`` (created if needed).

    ``target_layout`` is how ``y`` was given to ``fit`` (``"frame"``, ``"1d"``
    or ``"2d"``), which decides the layout of predictions. Without
    ``include_interactions`` the folder holds no (user, item) pair: no
    interaction keys, pooled histories frozen into their sums, no optimizer
    state. See the module doc.
    """
    import safetensors.torch

    if not isinstance(model.architecture, str):
        raise TypeError(
            f"architecture={model.architecture!r} is a class, which save() does not store "
            "(loading would have to import code); use joblib.dump for such models."
        )
    if not isinstance(model.loss_weighting, str):
        raise TypeError(
            f"loss_weighting={model.loss_weighting!r} is an object, which save() does not "
            "store without pickle; use joblib.dump for such models."
        )
    net = model.net_
    tensors: dict[str, torch.Tensor] = {}
    for key, value in _module_state(net.module_, include_interactions).items():
        tensors[f"module.{key}"] = value.detach().cpu().contiguous()
    for key, value in net.criterion_.state_dict().items():
        tensors[f"criterion.{key}"] = value.detach().cpu().contiguous()
    fitted: dict[str, Any] = {
        "n_features_in_": int(model.n_features_in_),
        "feature_names_in_": (
            to_json(list(model.feature_names_in_), "feature names")
            if hasattr(model, "feature_names_in_")
            else None
        ),
        "y_layout": target_layout,
        "n_iter_": int(model.n_iter_),
        "early_stopping_": bool(getattr(model, "early_stopping_", model.early_stopping is True)),
        "batch_size_": int(getattr(model, "batch_size_", batch_size_in_force(model.batch_size, 0))),
        "tasks_": _tasks_to_json(model),
        "schema_": _schema_to_json(model.schema_),
        "catalog_": None,
        "text_encoders_": None,
        "text_dim": int(net.module_.embeddings[0].text_dim),
        # A model without its interactions cannot train on: no optimizer state.
        "optimizer": _optimizer_to_json(net.optimizer_, tensors) if include_interactions else None,
        "history": _history_to_json(net.history),
        "privacy": None,
        "interactions": include_interactions,
    }
    privacy = dict(net.callbacks_).get("privacy")
    if privacy is not None:
        fitted["privacy"] = to_json(privacy.state(), "the privacy accounting")
    if hasattr(model, "catalog_"):
        fitted["catalog_"] = _catalog_to_json(model.catalog_)
        if include_interactions:
            if model.catalog_.interactions_ is None:
                raise ValueError(
                    "This model was loaded from a folder saved without its interactions; "
                    "save it again with include_interactions=False."
                )
            tensors["catalog.interactions_"] = torch.as_tensor(model.catalog_.interactions_)
    if hasattr(model, "text_encoders_"):
        fitted["text_encoders_"] = _text_encoders_to_json(model, tensors)
    config = {
        "format": "sklearn_mtl",
        "format_version": FORMAT_VERSION,
        "sklearn_mtl_version": __version__,
        "torch_version": torch.__version__,
        "estimator": type(model).__name__,
        "params": _params_to_json(model),
        "fitted": fitted,
    }
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(config, indent=1, allow_nan=False)
    (folder / CONFIG_FILE).write_text(text, encoding="utf-8")
    safetensors.torch.save_file(
        tensors, str(folder / WEIGHTS_FILE), metadata={"format_version": str(FORMAT_VERSION)}
    )
    return folder


# ----------------------------------------------------------------- loading


def _read_config(folder: Path) -> dict:
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"No {CONFIG_FILE} in {folder}; is it a saved sklearn_mtl model?")
    try:
        config = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a valid sklearn_mtl config (not JSON): {error}") from None
    if not isinstance(config, dict) or config.get("format") != "sklearn_mtl":
        raise ValueError(f"{path} is not a sklearn_mtl model config.")
    version = config.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written in format version {version!r} by sklearn_mtl "
            f"{config.get('sklearn_mtl_version')}; this sklearn_mtl reads format versions up "
            f"to {FORMAT_VERSION}. Upgrade sklearn_mtl to load it."
        )
    return config


def _read_tensors(folder: Path) -> dict[str, torch.Tensor]:
    import safetensors
    import safetensors.torch

    path = folder / WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"No {WEIGHTS_FILE} in {folder}.")
    try:
        return safetensors.torch.load_file(str(path), device="cpu")
    except (safetensors.SafetensorError, OSError, ValueError) as error:
        raise ValueError(f"{path} is not a valid safetensors file: {error}") from None


_FORMAT_1_EXPERT_KEY = re.compile(r"^(module\..*)\.(weights|biases)\.(\d+)$")


def _upgrade_format_1(tensors: dict[str, torch.Tensor], fitted: dict) -> None:
    """Rename the expert tensors of a format-1 file to today's names, in place.

    Their parameters now come in another order, so the optimizer's saved
    moments no longer line up: training continues with fresh ones.
    """
    renamed = {}
    for key in list(tensors):
        match = _FORMAT_1_EXPERT_KEY.match(key)
        if match:
            prefix, kind, layer = match.groups()
            name = "weight" if kind == "weights" else "bias"
            renamed[f"{prefix}.layers.{layer}.{name}"] = tensors.pop(key)
    if renamed:
        tensors.update(renamed)
        fitted["optimizer"] = None


def _restore_params(spec: dict) -> dict:
    spec = dict(spec)
    encoder = spec.pop("text_encoder", None)
    params = {name: from_json(value) for name, value in spec.items()}
    if encoder is not None:
        if not (isinstance(encoder, dict) and set(encoder) == {"SentenceEmbedder"}):
            raise ValueError(
                "config.json: parameter text_encoder must be a saved SentenceEmbedder; "
                f"got {type(encoder).__name__}."
            )
        params["text_encoder"] = SentenceEmbedder(**from_json(encoder["SentenceEmbedder"]))
    return params


def _restore_tasks(specs: list[dict]) -> dict:
    tasks = {}
    for spec in specs:
        name = from_json(spec["name"])
        task = make_task(spec["type"], name)
        if "classes" in spec:
            task.classes_ = np.asarray(
                from_json(spec["classes"]), dtype=_dtype(spec["classes_dtype"])
            )
        else:
            task.mean_, task.scale_ = float(spec["mean"]), float(spec["scale"])
            if "min" in spec:
                task.min_, task.max_ = float(spec["min"]), float(spec["max"])
                task.clip = bool(spec["clip"])
            else:
                # Format 2 and older predicted unclipped and saved no range.
                task.clip = False
        tasks[name] = task
    return tasks


def _restore_schema(spec: dict) -> Any:
    schema = FeatureSchema(
        from_json(spec["categorical_features"]),
        always_categorical=from_json(spec["always_categorical"]),
        text_features=from_json(spec["text_features"]),
    )
    schema.categorical_columns_ = from_json(spec["categorical_columns"])
    schema.numeric_columns_ = from_json(spec["numeric_columns"])
    schema.text_columns_ = from_json(spec["text_columns"])
    schema.vocabularies_ = {
        column: _index_from_json(vocabulary)
        for column, vocabulary in zip(
            schema.categorical_columns_, spec["vocabularies"], strict=True
        )
    }
    schema.mean_ = np.asarray(spec["mean"], dtype=np.float64)
    schema.scale_ = np.asarray(spec["scale"], dtype=np.float64)
    return schema


def _restore_catalog(spec: dict, schema: Any, interactions: torch.Tensor | None) -> Any:
    catalog = Catalog(
        from_json(spec["user_col"]),
        from_json(spec["item_col"]),
        from_json(spec["user_features"]),
        from_json(spec["item_features"]),
    )
    catalog.user_features_ = from_json(spec["user_features_"])
    catalog.item_features_ = from_json(spec["item_features_"])
    catalog.context_features_ = from_json(spec["context_features_"])
    catalog.n_item_codes_ = int(spec["n_item_codes_"])
    catalog.users_ = _frame_from_json(spec["users_"])
    catalog.items_ = _frame_from_json(spec["items_"])
    catalog.interactions_ = None if interactions is None else interactions.numpy().astype(np.int64)
    catalog.schema_ = schema
    return catalog


def _restore_text_encoders(specs: list[dict], tensors: dict) -> dict:
    encoders = {}
    for spec in specs:
        column = from_json(spec["column"])
        encoder = SentenceEmbedder(**from_json(spec["params"]))
        encoder.n_features_in_ = 1
        if isinstance(column, str):
            encoder.feature_names_in_ = np.asarray([column], dtype=object)
        encoder.embedding_dim_ = spec["embedding_dim_"]
        encoder.n_output_per_column_ = spec["n_output_per_column_"]
        encoder.pcas_ = []
        for pca_spec in spec["pcas_"]:
            if pca_spec is None:
                encoder.pcas_.append(None)
                continue
            pca = PCA(**from_json(pca_spec["params"]))
            for attribute in ("components_", "mean_", "explained_variance_"):
                setattr(pca, attribute, tensors[pca_spec["prefix"] + attribute].numpy())
            pca.n_components_ = len(pca.components_)
            pca.n_features_in_ = pca.components_.shape[1]
            encoder.pcas_.append(pca)
        encoders[column] = encoder
    return encoders


@dataclass
class SavedModel:
    """What a saved folder holds, read and checked, ready for the estimator to assemble.

    Parameters
    ----------
    folder : Path
        The folder the model was read from.
    estimator : str
        Class name of the saved estimator.
    params : dict
        Constructor parameters (``device`` already resolved for this machine).
    fitted : dict
        The fitted public attributes (``tasks_``, ``classes_``, ``schema_``,
        ``catalog_``, ``text_encoders_``, ``n_features_in_``,
        ``feature_names_in_``, ``n_iter_``), those the model had.
    target_layout : str
        How ``y`` was given to ``fit``.
    text_dim : int
        Width of the text vectors the network reads.
    tensors : dict of str to Tensor
        The network's and the loss weighting's state, prefixed ``module.``
        and ``criterion.``.
    optimizer : dict, default=None
        The optimizer's state; None in a model saved without interactions.
    history : list, default=[]
        skorch's training history.
    privacy : dict, default=None
        The privacy accounting of a differentially private fit.
    """

    folder: Path
    estimator: str
    params: dict
    fitted: dict
    target_layout: str
    text_dim: int
    tensors: dict = field(repr=False)
    optimizer: dict | None = field(default=None, repr=False)
    history: list = field(default_factory=list, repr=False)
    privacy: dict | None = None

    def restore_states(self, net: Any) -> None:
        """Load the weights, loss-weighting state, optimizer state and history into ``net``.

        ``net`` is an initialized net built for this model; a mismatch between
        its tensors and the saved ones is a ``ValueError``.

        Parameters
        ----------
        net : MultiTaskNet
            The initialized net.
        """
        for prefix, module in (("module.", net.module_), ("criterion.", net.criterion_)):
            state = {k[len(prefix) :]: v for k, v in self.tensors.items() if k.startswith(prefix)}
            try:
                module.load_state_dict(state, strict=True)
            except RuntimeError as error:
                raise ValueError(
                    f"{self.folder / WEIGHTS_FILE} does not match the network described by "
                    f"{CONFIG_FILE}: {error}"
                ) from None
        if self.optimizer is not None:
            # Files written before the optimizer was saved continue with fresh moments.
            state = {
                index: {name: self.tensors[f"optimizer.{index}.{name}"] for name in names}
                for index, names in self.optimizer["state"]
            }
            groups = from_json(self.optimizer["param_groups"])
            for group, current in zip(groups, net.optimizer_.param_groups, strict=False):
                # The kernel is this machine's choice (fused where torch has one).
                for key in ("fused", "foreach", "capturable"):
                    if key in current:
                        group[key] = current[key]
            try:
                net.optimizer_.load_state_dict({"state": state, "param_groups": groups})
            except (ValueError, KeyError) as error:
                raise ValueError(
                    f"{self.folder}: the saved optimizer state does not match the network: {error}"
                ) from None
        net.history_.clear()
        net.history_.extend(self.history)
        if self.privacy is not None:
            # The accountant continues from every step taken before the save.
            dict(net.callbacks_)["privacy"].restore(self.privacy)


def _resolve_device(device: str | None, params: dict) -> str:
    if device is None:
        device = params.get("device", "cpu")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        warnings.warn(
            f"The model was saved with device={device!r} but CUDA is not available here; "
            "it is loaded on the CPU.",
            UserWarning,
            stacklevel=4,
        )
        device = "cpu"
    return device


def read_model(path: str | os.PathLike, device: str | None = None) -> SavedModel:
    """Read and check a folder written by :func:`save_model`; see the module doc."""
    folder = Path(path)
    config = _read_config(folder)
    tensors = _read_tensors(folder)
    params = _restore_params(config["params"])
    params["device"] = _resolve_device(device, params)
    spec = config["fitted"]
    if config["format_version"] == 1:
        _upgrade_format_1(tensors, spec)
    optimizer = spec.get("optimizer")
    if config["format_version"] < 3:
        # Before format 3: no factorization terms, one coupled L2 penalty (Adam,
        # whose moments the AdamW groups of today do not take over).
        params.setdefault("factorization_terms", False)
        params.setdefault("embedding_decay", 0.0)
        optimizer = None
    fitted: dict[str, Any] = {
        "n_features_in_": spec["n_features_in_"],
        "n_iter_": spec["n_iter_"],
        # Before format 3, early_stopping was a bool.
        "early_stopping_": spec.get("early_stopping_", params["early_stopping"] is True),
        # Before batch_size="auto", the batch size was an int.
        "batch_size_": spec.get("batch_size_", params["batch_size"]),
    }
    if spec["feature_names_in_"] is not None:
        names = from_json(spec["feature_names_in_"])
        fitted["feature_names_in_"] = np.asarray(names, dtype=object)
    fitted["tasks_"] = _restore_tasks(spec["tasks_"])
    fitted["classes_"] = {
        name: task.classes_ for name, task in fitted["tasks_"].items() if task.is_classifier
    }
    fitted["schema_"] = _restore_schema(spec["schema_"])
    if spec["catalog_"] is not None:
        fitted["catalog_"] = _restore_catalog(
            spec["catalog_"], fitted["schema_"], tensors.get("catalog.interactions_")
        )
    if spec["text_encoders_"] is not None:
        fitted["text_encoders_"] = _restore_text_encoders(spec["text_encoders_"], tensors)
    return SavedModel(
        folder=folder,
        estimator=str(config.get("estimator")),
        params=params,
        fitted=fitted,
        target_layout=spec["y_layout"],
        text_dim=spec["text_dim"],
        tensors=tensors,
        optimizer=optimizer,
        history=from_json(spec.get("history", [])),
        privacy=from_json(spec.get("privacy")),
    )
