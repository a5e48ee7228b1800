"""The interaction history must not leak the label of sampled negatives (issue 13's defect).

A training interaction is left out of its own row's pooled history, so a
positive row's pools lack exactly its own pair while a negative row's pools
are the full history, and so are those of every unseen candidate at
``recommend`` time. Without history dropout, a network learns to read the
label from that difference: it scores training positives high, and every
unseen candidate like a negative. On a log where users like items of two
hidden clusters, the best unseen candidates must instead score like the
training positives.

End to end (three fits of ~5 s), hence ``slow``.
"""

import numpy as np
import pandas as pd
import pytest

from sklearn_mtl import MultiTaskRecommender

pytestmark = pytest.mark.slow


def clustered_log(n_users=200, n_items=180, n_clusters=6, per_cluster=12, n_negatives=96):
    """Each user watched ``per_cluster`` items of each of two clusters, plus unwatched items."""
    rng = np.random.default_rng(0)
    cluster = np.repeat(np.arange(n_clusters), n_items // n_clusters)
    rows, liked = [], {}
    for user in range(n_users):
        clusters = rng.choice(n_clusters, 2, replace=False)
        liked[f"u{user}"] = set(clusters)
        watched = np.concatenate(
            [rng.choice(np.flatnonzero(cluster == c), per_cluster, replace=False) for c in clusters]
        )
        unwatched = rng.choice(np.setdiff1d(np.arange(n_items), watched), n_negatives, False)
        rows += [(f"u{user}", f"i{i}", 1) for i in watched]
        rows += [(f"u{user}", f"i{i}", 0) for i in unwatched]
    log = pd.DataFrame(rows, columns=["user_id", "item_id", "watched"])
    return log, liked, {f"i{i}": c for i, c in enumerate(cluster)}


def fit_and_measure(log, liked, cluster_of, **params):
    model = MultiTaskRecommender(
        tasks={"watched": "binary"},
        user_col="user_id",
        item_col="item_id",
        interaction_task="watched",
        lr=3e-3,
        max_epochs=40,
        random_state=0,
        **params,
    ).fit(log[["user_id", "item_id"]], log[["watched"]])
    proba = model.predict_proba(log[["user_id", "item_id"]])["watched"][:, 1]
    positives = proba[log["watched"].to_numpy() == 1].mean()
    top = model.recommend(list(liked), k=1)
    pairs = zip(top.user_id, top.item_id, strict=True)
    inside = np.mean([cluster_of[i] in liked[u] for u, i in pairs])
    # How an unseen candidate the user should like scores, against a training positive.
    return top["score"].mean() / positives, inside


@pytest.fixture(scope="module")
def log():
    return clustered_log()


def test_history_scores_unseen_candidates_like_positives(log):
    ratio, inside = fit_and_measure(*log, interaction_history=True)
    assert ratio > 1.0, ratio
    _, without_inside = fit_and_measure(*log, interaction_history=False)
    assert inside >= without_inside - 0.02  # history never makes it worse


def test_without_history_dropout_the_label_leaks(log):
    """The test above can fail: the leaky pooling scores candidates like negatives."""
    ratio, _ = fit_and_measure(*log, interaction_history=True, history_dropout=0.0)
    assert ratio < 0.8, ratio
