"""Network assembly: from the estimator's parameters and fitted state to a skorch net.

Pure functions of a :class:`NetworkSpec` (the estimator's parameters, its
fitted schema, tasks and catalog, and the width of the text vectors): the
PyTorch module, the multi-task loss with its weighting strategy, the optional
callbacks and the skorch net. ``fit``, the growth of ``partial_fit`` and
``MultiTaskRecommender.load`` all build through here, so a network is always
assembled the same way, whichever way it comes to life.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from skorch.callbacks import EarlyStopping, GradientNormClipping
from torch.optim.lr_scheduler import CosineAnnealingLR

from .catalog import Catalog
from .inputs import CATEGORICAL, NUMERIC, TEXT
from .inspection import task_gradient_affinity
from .modules import (
    ARCHITECTURES,
    FactorizationTerms,
    FeatureEmbedding,
    InteractionHistory,
    MultiTaskArchitecture,
    MultiTaskNetwork,
    Tower,
)
from .modules.factorization import side_slices
from .modules.growth import load_grown_state, load_kept_rows
from .modules.history import PooledHistory
from .schema import FeatureSchema
from .tasks import Task
from .training import (
    BatchSlicer,
    DelayedProgressBar,
    HoldoutSplit,
    MultiTaskLoss,
    MultiTaskNet,
    NegativeResampling,
    PrivateTraining,
    RestartingLRScheduler,
    TaskAffinityLogging,
)
from .weighting import LOSS_WEIGHTINGS, LossWeighting

__all__ = [
    "NetworkSpec",
    "EARLY_STOPPING_MIN_ROWS",
    "EMBEDDING_TABLES",
    "NEVER_DECAYED",
    "adam_kernel",
    "auto_embedding_dim",
    "build_module",
    "build_net",
    "batch_size_in_force",
    "learning_rate_in_force",
    "early_stopping_in_force",
    "grow_network",
    "shrink_network",
    "history_dropout",
    "task_weight_vector",
]

# record_task_affinity measures each epoch on this many training batches:
# enough for a stable average, a small share of a large epoch's time.
AFFINITY_BATCHES = 20


@dataclass(frozen=True)
class NetworkSpec:
    """Everything a network is built from.

    Parameters
    ----------
    params : mapping
        The estimator's parameters (``get_params(deep=False)``).
    schema : FeatureSchema
        Column roles and vocabularies (the embedding tables' sizes).
    tasks : mapping of str to Task
        The fitted tasks, in output order.
    catalog : Catalog or None
        Users, items and interactions (needed by ``interaction_history`` and
        ``resample_negatives``).
    text_dim : int, default=0
        Width of the concatenated text vectors; 0 without text.
    """

    params: Mapping[str, Any]
    schema: FeatureSchema
    tasks: Mapping[str, Task]
    catalog: Catalog | None
    text_dim: int = 0


def auto_embedding_dim(cardinality: int) -> int:
    """The width ``embedding_dim="auto"`` gives a table of ``cardinality`` rows."""
    # fastai's rule of thumb: grows sub-linearly with the vocabulary, capped.
    return int(min(64, round(1.6 * cardinality**0.56)))


def task_weight_vector(
    task_weights: Mapping[str, float] | None, tasks: Mapping[str, Task]
) -> list[float]:
    """The constant factor of each task's loss, in task order; checks ``task_weights``."""
    weights = dict(task_weights or {})
    unknown = [name for name in weights if name not in tasks]
    if unknown:
        raise ValueError(
            f"task_weights names tasks that are not in tasks: {unknown}; tasks are {list(tasks)}."
        )
    negative = [name for name, w in weights.items() if not (np.isfinite(w) and w >= 0)]
    if negative:
        raise ValueError(f"task_weights must be finite and non-negative; got {negative}.")
    return [float(weights.get(name, 1.0)) for name in tasks]


def _side_dim(params: Mapping[str, Any]) -> int:
    """Width of the vectors that are not per-column embeddings (history, text)."""
    dim = params["embedding_dim"]
    return dim if isinstance(dim, int) else 16


def _architecture_class(params: Mapping[str, Any]) -> type[MultiTaskArchitecture]:
    name = params["architecture"]
    if isinstance(name, str):
        return ARCHITECTURES[name]
    if not (isinstance(name, type) and issubclass(name, MultiTaskArchitecture)):
        raise TypeError(
            f"architecture must be one of {list(ARCHITECTURES)} or a subclass of "
            f"sklearn_mtl.modules.MultiTaskArchitecture; got {name!r}."
        )
    return name


def _architecture(spec: NetworkSpec, input_dim: int) -> MultiTaskArchitecture:
    params = spec.params
    common = dict(
        input_dim=input_dim,
        n_tasks=len(spec.tasks),
        units=[int(u) for u in params["shared_units"]],
        dropout=params["dropout"],
        batch_norm=params["batch_norm"],
    )
    cls = _architecture_class(params)
    if isinstance(params["architecture"], str):
        return cls.from_params(params, spec.tasks, **common)
    return _checked_custom_architecture(cls, params, spec.tasks, common)


def _checked_custom_architecture(
    cls: type[MultiTaskArchitecture], params: Mapping, tasks: Mapping, common: dict
) -> MultiTaskArchitecture:
    try:
        architecture = cls.from_params(params, tasks, **common)
    except TypeError as exc:
        raise TypeError(
            f"architecture {cls.__name__} must accept the keywords input_dim, n_tasks, "
            f"units, dropout and batch_norm: {exc}"
        ) from exc
    # A dry run on two rows: a module that breaks the contract fails here,
    # with its name, not deep inside the training loop.
    with torch.no_grad():
        outputs = architecture.eval()(torch.zeros(2, common["input_dim"]))
    architecture.train()
    n_tasks = common["n_tasks"]
    if (
        not isinstance(outputs, (list, tuple))
        or len(outputs) != n_tasks
        or any(tuple(o.shape) != (2, architecture.output_dim) for o in outputs)
    ):
        raise TypeError(
            f"architecture {cls.__name__} must return a list of {n_tasks} tensors of "
            f"shape (batch, output_dim={getattr(architecture, 'output_dim', None)})."
        )
    return architecture


def _history(spec: NetworkSpec) -> InteractionHistory | PooledHistory | None:
    params, schema, catalog = spec.params, spec.schema, spec.catalog
    if not params["interaction_history"]:
        return None
    columns = schema.categorical_columns_
    user_col, item_col = params["user_col"], params["item_col"]
    shape = dict(
        n_user_codes=len(schema.vocabularies_[user_col]) + 1,
        n_item_codes=len(schema.vocabularies_[item_col]) + 1,
        dim=_side_dim(params),
        user_position=columns.index(user_col),
        item_position=columns.index(item_col),
        pooling=params["history_pooling"],
        products=params["history_products"],
    )
    if catalog.interactions_ is None:
        # Saved without its interactions: the pooled sums come with the weights.
        return PooledHistory(**shape)
    user_codes, item_codes = catalog.interaction_codes()
    return InteractionHistory(
        user_codes,
        item_codes,
        **shape,
        dropout=history_dropout(params),
        # Only an interaction_task has non-interaction rows to train on.
        stand_in_leave_out=params["interaction_task"] is not None,
    )


#: The ``history_dropout`` that ``"auto"`` gives a model with an ``interaction_task``.
AUTO_HISTORY_DROPOUT = 0.8


def history_dropout(params: Mapping[str, Any]) -> float:
    """The ``history_dropout`` in force.

    ``"auto"`` hides 80% of the history when some rows are not interactions
    (``interaction_task``), and nothing when every row is one. At 0.5 the
    history of a clustered log trained 30 epochs at lr 3e-3 still pointed
    the wrong way for two seeds of four (top history reason in the item's
    cluster for 0.08 and 0.56 of recommendations); at 0.8 for 0.90-0.98 over
    two logs and four seeds, at a leave-one-out validation HR@10 of 0.685
    on MovieLens against 0.700 at 0.5 (one seed; ``bench_explain.py``).
    """
    dropout = params["history_dropout"]
    if dropout == "auto":
        return AUTO_HISTORY_DROPOUT if params["interaction_task"] is not None else 0.0
    return float(dropout)


#: ``early_stopping="auto"`` stops early above this many rows, as
#: scikit-learn's histogram gradient boosting does: on fewer, a validation
#: split is too small to choose an epoch on and costs rows to learn from.
EARLY_STOPPING_MIN_ROWS = 10_000


def early_stopping_in_force(early_stopping: bool | str, n_rows: int, epochs: int) -> bool:
    """Whether a fit of ``n_rows`` rows and ``epochs`` epochs stops early."""
    if early_stopping == "auto":
        # One epoch (partial_fit, a ParquetLog chunk) has no epoch to choose.
        return n_rows > EARLY_STOPPING_MIN_ROWS and epochs > 1
    return bool(early_stopping)


#: ``batch_size="auto"``: the large batch when an epoch still makes at least
#: ``AUTO_BATCH_MIN_STEPS`` steps of it, else the small one. On a validation
#: split of MovieLens 100K u1 (76,000 rows) 1024 rows a step (with the
#: default lr) scored 0.907 RMSE against 0.910 for 256, and fits were three
#: times faster; the clustered logs of ``bench_defaults.py`` (24,000 and
#: 36,000 rows) learn as well at 1024. Below 20 steps an epoch a fit of the
#: default length makes too few steps to learn.
AUTO_BATCH_SIZES = (1024, 256)
AUTO_BATCH_MIN_STEPS = 20


def batch_size_in_force(batch_size: int | str, n_rows: int) -> int:
    """The rows per gradient step of a fit on ``n_rows`` rows."""
    if batch_size == "auto":
        large, small = AUTO_BATCH_SIZES
        return large if n_rows >= AUTO_BATCH_MIN_STEPS * large else small
    return int(batch_size)


#: ``lr="auto"``: Adam's rate with ``interaction_history`` and without. A
#: history model overfits sooner (each step moves the pooled vectors of every
#: user and item in the batch): on the u1 validation split of MovieLens 100K
#: (rating + like, 1024 rows a step, seeds 0-2) 1e-3 scored 0.9045 RMSE and
#: 0.801 like AUC with history against 0.9100 and 0.796 at 2e-3, better for
#: every seed; without history 2e-3 scored 0.932 against 0.937, and only at
#: 2e-3 do the clustered logs of ``bench_defaults.py`` learn in 15 epochs.
AUTO_LEARNING_RATES = {"history": 1e-3, "no history": 2e-3}


def learning_rate_in_force(lr: float | str, interaction_history: bool) -> float:
    """Adam's learning rate of a fit: ``lr``, or what ``"auto"`` chooses."""
    if lr == "auto":
        return AUTO_LEARNING_RATES["history" if interaction_history else "no history"]
    return float(lr)


def uses_factorization(params: Mapping[str, Any]) -> bool:
    """Whether the network gets factorization terms: asked for, and ids to factorize."""
    return bool(params["factorization_terms"]) and params["user_col"] is not None


def _factorization(
    spec: NetworkSpec, embedding: FeatureEmbedding, separate: bool
) -> FactorizationTerms:
    """The factorization terms over ``embedding``'s user-side and item-side pieces."""
    schema, catalog, params = spec.schema, spec.catalog, spec.params
    categorical, text = schema.categorical_columns_, schema.text_columns_
    sides = []
    for own_id, features in (
        (params["user_col"], catalog.user_features_),
        (params["item_col"], catalog.item_features_),
    ):
        positions = [categorical.index(c) for c in features if c in categorical]
        sides.append(
            (
                [categorical.index(own_id), *positions],
                [text.index(c) for c in features if c in text],
            )
        )
    (user, user_text), (item, item_text) = sides
    user_slices, item_slices, bias_slices = side_slices(
        embedding, user, item, user_text, item_text, n_text_columns=len(text)
    )
    return FactorizationTerms(
        embedding.output_dim,
        user_slices,
        item_slices,
        bias_slices,
        [task.n_outputs for task in spec.tasks.values()],
        separate_copies=separate,
    )


def build_module(spec: NetworkSpec) -> MultiTaskNetwork:
    """The PyTorch network: embeddings, architecture, one tower per task."""
    params, schema = spec.params, spec.schema
    cardinalities = schema.cardinalities_
    if params["embedding_dim"] == "auto":
        dims = [auto_embedding_dim(n) for n in cardinalities]
    else:
        dims = [int(params["embedding_dim"])] * len(cardinalities)
    factorized = uses_factorization(params)

    def make_embedding() -> FeatureEmbedding:
        return FeatureEmbedding(
            cardinalities,
            dims,
            len(schema.numeric_columns_),
            _history(spec),
            text_dim=spec.text_dim,
            text_projection_dim=_side_dim(params) * len(schema.text_columns_),
            bias_width=sum(task.n_outputs for task in spec.tasks.values()) if factorized else 0,
        )

    # A probe embedding gives the widths; the terms decide the architecture's
    # input width, so they are built before it.
    probe = make_embedding()
    separate = _architecture_class(params).separate_embeddings
    factorization = _factorization(spec, probe, separate) if factorized else None
    input_dim = probe.output_dim if factorization is None else factorization.output_dim
    architecture = _architecture(spec, input_dim)
    n_embeddings = len(spec.tasks) if architecture.separate_embeddings else 1
    embeddings = [make_embedding() for _ in range(n_embeddings)]
    towers = [
        Tower(
            architecture.output_dim,
            [int(u) for u in params["tower_units"]],
            task.n_outputs,
            dropout=params["dropout"],
            batch_norm=params["batch_norm"],
        )
        for task in spec.tasks.values()
    ]
    if factorization is not None:
        # Each task starts as a factorization; its MLP learns what that misses.
        for tower in towers:
            torch.nn.init.zeros_(tower.head.weight)
            torch.nn.init.zeros_(tower.head.bias)
    return MultiTaskNetwork(embeddings, architecture, towers, factorization)


def _weighting(loss_weighting: str | LossWeighting, n_tasks: int) -> LossWeighting:
    if isinstance(loss_weighting, str):
        weighting = LOSS_WEIGHTINGS[loss_weighting]()
    else:
        weighting = copy.deepcopy(loss_weighting)
        if not isinstance(weighting, LossWeighting):
            raise TypeError(
                f"loss_weighting must be one of {list(LOSS_WEIGHTINGS)} or a "
                f"sklearn_mtl.weighting.LossWeighting; got {type(weighting).__name__}."
            )
    return weighting.build(n_tasks)


def _negative_resampling(spec: NetworkSpec, seed: int) -> NegativeResampling:
    params, schema, catalog = spec.params, spec.schema, spec.catalog
    if params["interaction_task"] is None or params["user_col"] is None:
        raise ValueError(
            "resample_negatives=True needs interaction_task (the binary task whose 0 rows "
            "are the sampled negatives), user_col and item_col."
        )
    item_columns = {params["item_col"], *catalog.item_features_}
    positions = {
        name: [j for j, column in enumerate(columns) if column in item_columns]
        for name, columns in (
            (CATEGORICAL, schema.categorical_columns_),
            (NUMERIC, schema.numeric_columns_),
            (TEXT, schema.text_columns_),
        )
    }
    return NegativeResampling(
        task_index=list(spec.tasks).index(params["interaction_task"]),
        user_position=schema.categorical_columns_.index(params["user_col"]),
        item_position=schema.categorical_columns_.index(params["item_col"]),
        item_columns=positions,
        in_history=catalog.in_history,
        random_state=seed,
    )


def _silent(*args: Any) -> None:
    """A sink that prints nothing."""


def _optional_callbacks(spec: NetworkSpec, seed: int) -> list[tuple[str, Any]]:
    """The callbacks that parameters switch on (every net has the net's defaults too)."""
    params = spec.params
    callbacks: list[tuple[str, Any]] = []
    if params["resample_negatives"]:
        callbacks.append(("negative_resampling", _negative_resampling(spec, seed)))
    if params["lr_schedule"] == "cosine":
        schedule = RestartingLRScheduler(
            CosineAnnealingLR, T_max=params["max_epochs"], last_epoch=-1
        )
        callbacks.append(("lr_scheduler", schedule))
    if params["max_grad_norm"] is not None:
        callbacks.append(("gradient_clipping", GradientNormClipping(params["max_grad_norm"])))
    if params["early_stopping"]:
        stopping = EarlyStopping(
            monitor="valid_loss",
            patience=params["n_iter_no_change"],
            load_best=True,
            # skorch prints when it stops and restores; verbose=0 means silent.
            sink=print if params["verbose"] else _silent,
        )
        callbacks.append(("early_stopping", stopping))
    if params["record_task_affinity"]:
        measure = functools.partial(
            task_gradient_affinity, batch_size=params["batch_size"], max_batches=AFFINITY_BATCHES
        )
        callbacks.append(("task_affinity", TaskAffinityLogging(measure)))
    if params["dp_epsilon"] is not None:
        privacy = PrivateTraining(
            target_epsilon=params["dp_epsilon"],
            target_delta=params["dp_delta"],
            max_grad_norm=params["dp_max_grad_norm"],
            epochs=params["max_epochs"],
        )
        callbacks.append(("privacy", privacy))
    if params["verbose"]:
        callbacks.append(("progress_bar", DelayedProgressBar()))
    return callbacks


#: The optimizer's parameter groups by family, first match wins (skorch's
#: ``optimizer__param_groups`` patterns over the net's parameter names).
#: Learned loss weights and the factorization terms' biases and scales are
#: never decayed. The embedding tables (ids, side features, histories) take
#: the decoupled decay ``embedding_decay`` (AdamW's semantics), which shrinks
#: rarely seen ids toward the prior; in the ablation that planned it, one
#: decay on every parameter gave 0.935 to 1.0 RMSE on MovieLens 100K against
#: 0.894 for decay on the tables alone. Every other parameter takes the L2
#: penalty ``weight_decay``, as before there were groups.
EMBEDDING_TABLES = ("embeddings.*.embeddings.*", "embeddings.*.history.*")
NEVER_DECAYED = ("weighting.*", "embeddings.*.biases.*", "factorization.*")


def _param_groups(params: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    groups = [(pattern, {"weight_decay": 0.0}) for pattern in NEVER_DECAYED]
    if params["embedding_decay"] > 0:
        decay = float(params["embedding_decay"])
        decoupled = {"weight_decay": decay, "decoupled_weight_decay": True}
        groups += [(pattern, decoupled) for pattern in EMBEDDING_TABLES]
    return groups


def adam_kernel(device: str) -> dict[str, bool]:
    """``{"fused": True}`` where torch has a fused Adam for ``device``, else ``{"foreach": True}``.

    One fused kernel updates every parameter at once (~10% of the step time
    of a small network on CPU against ``foreach``, itself far ahead of a
    Python loop over parameters).
    """
    probe = torch.zeros(1, device=device, requires_grad=True)
    try:
        torch.optim.Adam([probe], fused=True)
    except (RuntimeError, ValueError):
        return {"foreach": True}
    return {"fused": True}


def build_net(spec: NetworkSpec, seed: int) -> MultiTaskNet:
    """The skorch net (not yet initialized) that trains the network of ``spec``.

    Parameters
    ----------
    spec : NetworkSpec
    seed : int
        Seeds the shuffling orders, the validation split and negative draws.
    """
    params = spec.params
    validation_fraction = params["validation_fraction"]
    if validation_fraction is None and params["early_stopping"]:
        validation_fraction = 0.05
    criterion = MultiTaskLoss(
        list(spec.tasks.values()),
        _weighting(params["loss_weighting"], len(spec.tasks)),
        task_weight_vector(params["task_weights"], spec.tasks),
        # DP-SGD: each row's gradient must be that row's own loss's.
        training_reduction="mean" if params["dp_epsilon"] is None else "sum",
    )
    return MultiTaskNet(
        module=build_module(spec),
        criterion=criterion,
        # Weight decay by parameter family (see EMBEDDING_TABLES).
        optimizer=torch.optim.Adam,
        lr=learning_rate_in_force(params["lr"], params["interaction_history"]),
        optimizer__weight_decay=params["weight_decay"],
        **{f"optimizer__{key}": value for key, value in adam_kernel(params["device"]).items()},
        optimizer__param_groups=_param_groups(params),
        batch_size=params["batch_size"],
        max_epochs=params["max_epochs"],
        train_split=(
            None
            if validation_fraction is None
            else HoldoutSplit(validation_fraction, random_state=seed)
        ),
        iterator_train=BatchSlicer,
        iterator_train__shuffle=True,
        iterator_train__random_state=seed,
        iterator_train__poisson=params["dp_epsilon"] is not None,
        iterator_valid=BatchSlicer,
        callbacks=_optional_callbacks(spec, seed),
        device=params["device"],
        verbose=params["verbose"],
    )


def grow_network(net: MultiTaskNet, spec: NetworkSpec) -> None:
    """Rebuild ``net``'s module for grown vocabularies, keeping every trained weight."""
    old = net.module_
    new = build_module(spec).to(net.device)
    load_grown_state(new, old.state_dict())
    new.train(old.training)
    net.module_ = new
    # The optimizer's moments belong to the old tensors; new tables start afresh.
    net.initialize_optimizer()


def shrink_network(
    net: MultiTaskNet, spec: NetworkSpec, kept_codes: Mapping[int, np.ndarray]
) -> None:
    """Rebuild ``net``'s module for vocabularies that lost categories.

    ``kept_codes`` maps the position of a categorical column to the old codes
    that remain, in order (0, the unseen code, first): the rows its tables
    keep. The rows of the removed categories are gone from the weights and,
    with a fresh optimizer, from the optimizer's moments.
    """
    old = net.module_
    new = build_module(spec).to(net.device)
    rows = {}
    for prefix, layer in new.named_modules():
        if isinstance(layer, FeatureEmbedding):
            for position, codes in kept_codes.items():
                for name in layer.tables_indexed_by(position):
                    rows[f"{prefix}.{name}"] = torch.as_tensor(codes)
    load_kept_rows(new, old.state_dict(), rows)
    new.train(old.training)
    net.module_ = new
    net.initialize_optimizer()
