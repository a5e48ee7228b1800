"""The benchmark scripts and examples run (on tiny sizes): they must not rot.

Their figures are measured by running them in full, never here. Each runs in
a subprocess for several seconds, so they are ``slow``: ``python -m pytest``
leaves them out, ``python -m pytest -m slow`` (CI's second call) runs them.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def run(script: str, *args: str, env: dict | None = None) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env=None if env is None else {**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_bench_overhead_runs():
    out = run(
        "benchmarks/bench_overhead.py", "--n-samples", "3000", "--epochs", "1", "--repeats", "1"
    )
    assert "ratio" in out


def test_bench_synthetic_runs():
    out = run(
        "benchmarks/bench_synthetic.py",
        "--seeds",
        "1",
        "--epochs",
        "1",
        "--n-train",
        "500",
        "--n-test",
        "200",
        "--n-jobs",
        "1",
    )
    assert "shared_bottom minus mmoe" in out and "gate_distance" in out


@pytest.mark.skipif(
    importlib.util.find_spec("torch_rechub") is None,
    reason="torch-rechub is not installed (extra 'bench')",
)
def test_bench_peers_runs():
    out = run("benchmarks/bench_peers.py", "--n-samples", "3000", "--epochs", "1", "--seeds", "1")
    assert "speed-up" in out


HAS_MOVIELENS = (
    Path(os.environ.get("SKLEARN_MTL_DATA", "/nonexistent")) / "ml-100k" / "u.data"
).is_file()
needs_movielens = pytest.mark.skipif(
    not HAS_MOVIELENS, reason="needs MovieLens 100K in $SKLEARN_MTL_DATA"
)
needs_movielens_and_text = pytest.mark.skipif(
    not HAS_MOVIELENS or importlib.util.find_spec("sentence_transformers") is None,
    reason="needs MovieLens 100K in $SKLEARN_MTL_DATA and the text extra",
)


@needs_movielens_and_text
def test_bench_cold_start_runs():
    out = run("benchmarks/bench_cold_start.py", "--epoch-grid", "1", "2", "--seeds", "1")
    assert "cold HR@10" in out and "text encoding" in out


@pytest.mark.parametrize("example", ["movielens", "cold_start", "explain", "privacy", "two_heads"])
def test_movielens_examples_fall_back_to_a_synthetic_log(example, tmp_path):
    """Without MovieLens in the data home, each says so and runs on synthetic data."""
    if example == "cold_start" and importlib.util.find_spec("sentence_transformers") is None:
        pytest.skip("needs the text extra")
    out = run(f"examples/{example}.py", env={"SKLEARN_MTL_DATA": str(tmp_path)})
    assert "MovieLens 100K is not in the data home" in out
    assert not any(tmp_path.iterdir()), "the example downloaded into the data home"


@needs_movielens_and_text
def test_cold_start_example_runs():
    out = run("examples/cold_start.py")
    assert "Top 10 new films" in out


def test_bench_defaults_runs():
    out = run("benchmarks/bench_defaults.py", "--seeds", "1", "--skip-movielens")
    assert "top 3 in the user's clusters" in out and "history=True" in out


def test_quickstart_example_runs():
    out = run("examples/quickstart.py")
    assert "multi-task" in out and "single-task" in out and "roc_auc" in out


def test_architectures_example_runs():
    out = run("examples/architectures.py")
    assert "test metrics" in out and "mmoe + pcgrad" in out


def test_expert_usage_example_runs():
    out = run("examples/expert_usage.py")
    assert "mean gate weight per expert" in out


@needs_movielens
def test_movielens_example_runs():
    out = run("examples/movielens.py")
    assert "Top 10 for user" in out and "u1 rating RMSE" in out


def test_serving_example_runs():
    out = run("examples/serving.py")
    assert "loaded model predicts the same: True" in out


needs_dask = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None, reason="the dask extra is not installed"
)
needs_pyarrow = pytest.mark.skipif(
    importlib.util.find_spec("pyarrow") is None, reason="the parquet extra is not installed"
)


@needs_dask
def test_parallel_search_example_runs():
    out = run("examples/parallel_search.py")
    assert "best parameters" in out


@needs_dask
def test_bench_search_runs():
    out = run("benchmarks/bench_search.py", "--n-samples", "2000", "--epochs", "1")
    assert "x sequential" in out and "oversubscribed" in out


@needs_pyarrow
def test_parquet_log_example_runs():
    out = run("examples/parquet_log.py")
    assert "training calls" in out and "metrics on a later day" in out


@needs_pyarrow
def test_bench_out_of_core_runs(tmp_path):
    out = run(
        "benchmarks/bench_out_of_core.py", "--rows", "300000", "--reference-rows", "100000",
        "--chunk-rows", "50000", "--folder", str(tmp_path / "log"),
    )  # fmt: skip
    assert "rows/s" in out and "peak RSS" in out


@pytest.mark.skipif(
    importlib.util.find_spec("accelerate") is None, reason="the distributed extra is not installed"
)
def test_distributed_training_example_runs():
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun is not installed next to this Python")
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}
    result = subprocess.run(
        [str(torchrun), "--standalone", "--nproc_per_node=2",
         str(ROOT / "examples/distributed_training.py")],
        capture_output=True, text=True, cwd=ROOT, timeout=300, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2 processes" in result.stdout and "predicts the same: True" in result.stdout


def test_explain_example_runs(tmp_path):
    out = run("examples/explain.py", "--epochs", "1", "--out", str(tmp_path))
    assert "because you rated" in out and "Task gradient affinity" in out
    assert (tmp_path / "explain.png").is_file()


def test_bench_explain_runs():
    out = run("benchmarks/bench_explain.py", "--skip-movielens")
    assert "top history reason" in out


needs_opacus = pytest.mark.skipif(
    importlib.util.find_spec("opacus") is None, reason="the privacy extra (opacus) is not installed"
)


@needs_opacus
def test_privacy_example_runs():
    out = run("examples/privacy.py")
    assert "spent epsilon=" in out
    assert "now gets what a never-seen user gets: True" in out
    assert ": False; describes them: False" in out
    assert "interactions kept: False" in out


@needs_opacus
@needs_movielens
def test_bench_privacy_runs():
    out = run(
        "benchmarks/bench_privacy.py", "--max-rows", "6000", "--quick", "--seeds", "1",
        "--epsilons", "8", "inf",
    )  # fmt: skip
    assert "against the model without DP" in out and "rmse_vs_no_dp" in out


def test_two_heads_example_runs():
    out = run("examples/two_heads.py")
    assert "rated  roc_auc" in out and "genre  accuracy" in out
    assert "p_rated" in out


def test_loss_weighting_example_runs():
    out = run("examples/loss_weighting.py")
    for strategy in ("equal", "uncertainty", "dwa", "gradnorm", "pcgrad"):
        assert strategy in out


def test_multi_vs_single_and_mmoe_correlation_examples_run():
    assert "single-task" in run("examples/multi_vs_single.py")
    out = run("examples/mmoe_correlation.py")
    assert "shared_bottom_mse" in out and "gate_distance" in out


@needs_movielens
def test_bench_factorization_runs():
    out = run("benchmarks/bench_factorization.py", "--settings", "today's defaults")
    assert "today's defaults" in out and "valid RMSE" in out


@needs_movielens
def test_bench_rating_rankings_runs():
    out = run("benchmarks/bench_rating_rankings.py")
    assert "precision@10" in out and "top pick" in out


@needs_movielens
def test_bench_movielens_writes_its_tables_as_json(tmp_path):
    path = tmp_path / "figures.json"
    out = run("benchmarks/bench_movielens.py", "--folds", "1", "--skip-loo", "--skip-twins",
              "--rmse-models", "single-task", "--json", str(path))  # fmt: skip
    figures = json.loads(path.read_text())
    assert figures["torch_threads"] == 1 and "loo" not in figures
    rows = {row["model"]: row for row in figures["rmse"]}
    assert {"single-task + history", "single-task"} <= set(rows)
    assert 0.8 < rows["single-task + history"]["u1"] < 1.0
    assert f"{rows['single-task']['mean']:.4f}" in out  # the figures it printed


@needs_movielens
def test_bench_rating_reference_runs():
    out = run("benchmarks/bench_rating_reference.py", "--epochs", "1")
    assert "reference (plain PyTorch)" in out and "library defaults + history" in out


def test_bench_mmoe_reference_runs():
    out = run("benchmarks/bench_mmoe_reference.py", "--seeds", "1", "--n-jobs", "1",
              "--epochs", "1", "--n-train", "1000")  # fmt: skip
    assert "library: MMoE beats its shared bottom" in out and "plain  : MMoE" in out
