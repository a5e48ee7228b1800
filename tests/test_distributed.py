"""distributed=True: data-parallel training under torchrun, through Accelerate."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks
from sklearn_mtl.inputs import TensorDictDataset
from sklearn_mtl.training import BatchSlicer

SCRIPT = Path(__file__).parent / "scripts" / "distributed_fit.py"


def _batches(slicer):
    return [tuple(features["numeric"][:, 0].tolist()) for features, _ in slicer]


@pytest.mark.parametrize("n_rows", [10, 11, 12, 13])
def test_shards_are_equal_and_cover_every_batch(n_rows):
    dataset = TensorDictDataset({"numeric": np.arange(n_rows, dtype=np.float32)[:, None]})
    whole = _batches(BatchSlicer(dataset, 2, shuffle=True, random_state=0))
    shards = [
        _batches(BatchSlicer(dataset, 2, shuffle=True, random_state=0, n_shards=2, shard=k))
        for k in range(2)
    ]
    assert len(shards[0]) == len(shards[1]) == -(-len(whole) // 2)
    assert set(shards[0]) | set(shards[1]) == set(whole)
    assert shards[0] == whole[0::2]


def test_without_a_launch_the_error_names_torchrun(data, monkeypatch):
    pytest.importorskip("accelerate", reason="the distributed extra is not installed")
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    X, y = data
    with pytest.raises(ValueError, match="torchrun"):
        MultiTaskRecommender(max_epochs=1, distributed=True).fit(X, y)


@pytest.mark.parametrize("weighting", ["gradnorm", "pcgrad"])
def test_gradient_weightings_are_refused(data, weighting):
    X, y = data
    model = MultiTaskRecommender(max_epochs=1, loss_weighting=weighting, distributed=True)
    with pytest.raises(ValueError, match=f"loss_weighting='{weighting}'"):
        model.fit(X, y)


def _torchrun(out: Path, *options: str, script: Path = SCRIPT, n_processes: int = 2) -> list[dict]:
    torchrun = shutil.which("torchrun")
    if torchrun is None:
        pytest.skip("torchrun is not on PATH")
    pytest.importorskip("accelerate", reason="the distributed extra is not installed")
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1]), *sys.path])
    command = [torchrun, "--standalone", f"--nproc_per_node={n_processes}", str(script),
               *options, str(out)]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (out / "stdout.txt").write_text(run.stdout)
    return [json.loads((out / f"rank{rank}.json").read_text()) for rank in range(n_processes)]


def _single_process(epochs: int, **params) -> tuple[list[int], float]:
    X, y = make_recommendation_tasks(n_users=200, n_items=100, n_samples=6000, random_state=0)
    model = MultiTaskRecommender(
        max_epochs=epochs, batch_size=128, lr=1e-2, random_state=0, **params
    ).fit(X.iloc[:5000], y.iloc[:5000])
    steps = [len(row["batches"]) for row in model.net_.history]
    return steps, model.score_tasks(X.iloc[5000:], y.iloc[5000:])["click"]


#: The 2-process model's held-out click AUC against the 1-process model's, at
#: equal epochs (each epoch visits every row once over both processes, in half
#: the steps per process with twice the rows per averaged step).
AUC_TOLERANCE = 0.03


@pytest.mark.slow
def test_two_processes_train_one_model(tmp_path):
    ranks = _torchrun(tmp_path / "run", "--epochs", "12", "--verbose", "1")
    steps, auc = _single_process(12)
    # One printed log: the first process's.
    assert (tmp_path / "run" / "stdout.txt").read_text().count("train_loss") == 1
    assert ranks[0]["digest"] == ranks[1]["digest"]
    assert ranks[0]["digest_after_partial_fit"] == ranks[1]["digest_after_partial_fit"]
    assert ranks[0]["digest_after_partial_fit"] != ranks[0]["digest"]
    assert all(r["steps"] == [-(-s // 2) for s in steps] for r in ranks)
    assert ranks[0]["click_auc"] == ranks[1]["click_auc"]
    assert abs(ranks[0]["click_auc"] - auc) <= AUC_TOLERANCE
    assert not any(r["accelerator_left"] for r in ranks)
    loaded = MultiTaskRecommender.load(tmp_path / "run" / "model")
    assert loaded.distributed is False
    assert loaded.n_iter_ == ranks[0]["n_iter"] == 13


@pytest.mark.slow
def test_learned_weights_history_and_early_stopping_agree_across_ranks(tmp_path):
    options = ["--epochs", "6", "--loss-weighting", "uncertainty", "--early-stopping",
               "--history"]  # fmt: skip
    ranks = _torchrun(tmp_path / "run", *options)
    assert ranks[0]["digest"] == ranks[1]["digest"]
    assert ranks[0]["valid_loss"] == ranks[1]["valid_loss"]
    assert len(ranks[0]["steps"]) == len(ranks[1]["steps"])


@pytest.mark.slow
def test_each_process_reads_its_own_row_groups(tmp_path):
    pytest.importorskip("pyarrow", reason="the parquet extra is not installed")
    X, y = make_recommendation_tasks(n_users=100, n_items=60, n_samples=3000, random_state=0)
    frame = X.join(y[["click", "rating"]])
    log = tmp_path / "log"
    log.mkdir()
    # Five row groups of unequal sizes: the processes read 2 and 3 of them.
    frame.iloc[:2600].to_parquet(log / "a.parquet", row_group_size=700)
    frame.iloc[2600:].to_parquet(log / "b.parquet")
    ranks = _torchrun(tmp_path / "run", str(log), script=SCRIPT.with_name("distributed_log.py"))
    assert ranks[0]["digest"] == ranks[1]["digest"]
    assert ranks[0]["steps"] == ranks[1]["steps"]
    assert ranks[0]["n_iter"] == ranks[1]["n_iter"]
    assert ranks[0]["rows_read"] + ranks[1]["rows_read"] == len(frame)
    assert ranks[0]["rows_read"] != ranks[1]["rows_read"]


@pytest.mark.slow
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_processes_train_one_model_over_nccl(tmp_path):
    n_gpus = min(2, torch.cuda.device_count())  # nccl takes one GPU per process
    ranks = _torchrun(tmp_path / "run", "--epochs", "2", "--device", "cuda", n_processes=n_gpus)
    assert len({r["digest"] for r in ranks}) == 1
    assert all(r["click_auc"] > 0.5 for r in ranks)
    assert MultiTaskRecommender.load(tmp_path / "run" / "model", device="cpu").n_iter_ == 3
