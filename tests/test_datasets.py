import numpy as np
import pandas as pd

from sklearn_mtl.datasets import make_recommendation_tasks


def test_shapes_dtypes_and_missing_labels():
    X, y = make_recommendation_tasks(
        n_users=30, n_items=20, n_samples=5000, missing_fraction=0.3, random_state=0
    )
    assert X.shape == (5000, 7) and list(y.columns) == ["click", "like", "rating"]
    assert X["user_id"].nunique() <= 30 and X["item_id"].nunique() <= 20
    assert not pd.api.types.is_numeric_dtype(X["user_id"])
    assert y["click"].notna().all()
    assert abs(y["like"].isna().mean() - 0.3) < 0.03
    assert y["rating"].dropna().between(1, 5).all()


def test_same_seed_same_data():
    a = make_recommendation_tasks(n_samples=200, random_state=5)
    b = make_recommendation_tasks(n_samples=200, random_state=5)
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])


def test_task_correlation_sets_how_related_the_tasks_are():
    def like_rating_correlation(rho):
        _, y = make_recommendation_tasks(
            n_samples=20_000,
            task_correlation=rho,
            missing_fraction=0.0,
            noise=0.1,
            random_state=0,
        )
        return np.corrcoef(y["like"], y["rating"])[0, 1]

    assert like_rating_correlation(1.0) > like_rating_correlation(0.5) + 0.2
    assert like_rating_correlation(0.0) < 0.3


def test_mmoe_synthetic_follows_the_paper_construction():
    from sklearn_mtl.datasets import make_mmoe_synthetic

    X, y = make_mmoe_synthetic(5000, n_features=30, correlation=0.5, noise=0.0, random_state=0)
    assert X.shape == (5000, 30) and list(y.columns) == ["y1", "y2"]
    # The linear parts are w_iᵀx with |w_i| = 1 and cos(w1, w2) = p: recover them by
    # least squares on X through the sines' small, zero-mean contribution.
    w = np.linalg.lstsq(X, y.to_numpy(), rcond=None)[0]
    cosine = w[:, 0] @ w[:, 1] / np.linalg.norm(w[:, 0]) / np.linalg.norm(w[:, 1])
    assert abs(cosine - 0.5) < 0.1

    def label_corr(p):
        _, y = make_mmoe_synthetic(5000, correlation=p, random_state=1)
        return np.corrcoef(y["y1"], y["y2"])[0, 1]

    assert label_corr(1.0) > 0.95 > label_corr(0.9) > label_corr(0.5)
