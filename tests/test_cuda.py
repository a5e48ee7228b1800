"""The CUDA path: skipped on machines without a CUDA GPU (CI has none)."""

import numpy as np
import pytest
import torch

from sklearn_mtl import MultiTaskRecommender

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")


@pytest.mark.parametrize("weighting", ["equal", "uncertainty", "dwa", "gradnorm", "pcgrad"])
@pytest.mark.parametrize("architecture", ["shared_bottom", "mmoe", "ple", "esmm", "single"])
def test_fit_and_predict_on_cuda_match_cpu(data, architecture, weighting):
    X, y = data
    params = dict(
        architecture=architecture,
        loss_weighting=weighting,
        esmm_chain=["click", "like"],
        max_epochs=2,
        lr=1e-2,
        batch_norm=True,
        random_state=0,
    )
    cuda = MultiTaskRecommender(device="cuda", **params).fit(X, y)
    assert all(p.is_cuda for p in cuda.net_.module_.parameters())
    cpu = MultiTaskRecommender(device="cpu", **params).fit(X, y)
    pred_cuda, pred_cpu = cuda.predict(X), cpu.predict(X)
    assert np.isfinite(pred_cuda["rating"]).all()
    # Same initialization and batch order: only float rounding differs, which
    # two epochs at lr=1e-2 amplify to about 0.02 on the 1-5 rating scale.
    np.testing.assert_allclose(pred_cuda["rating"], pred_cpu["rating"], atol=0.05)
    proba_cuda, proba_cpu = cuda.predict_proba(X), cpu.predict_proba(X)
    np.testing.assert_allclose(proba_cuda["click"], proba_cpu["click"], atol=0.05)


def test_expert_usage_and_early_stopping_on_cuda(data):
    X, y = data
    model = MultiTaskRecommender(
        architecture="mmoe",
        device="cuda",
        early_stopping=True,
        max_epochs=30,
        n_iter_no_change=2,
        lr=3e-2,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ < 30
    np.testing.assert_allclose(model.expert_usage(X).sum(axis=1), 1.0, rtol=1e-5)
