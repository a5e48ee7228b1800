"""A model's life after the notebook: save, load, update with new users, serve with ONNX
=====================================================================================

Trains on the first users of a synthetic log, saves the model without pickle
(config.json + model.safetensors), loads it back, updates it with a day of
new users (partial_fit: their embeddings are added, the trained ones kept),
and exports it to ONNX, checking onnxruntime against predict.

    pip install "sklearn-mtl[onnx]"
    python examples/serving.py
"""

import tempfile
from pathlib import Path

import numpy as np

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks

X, y = make_recommendation_tasks(n_users=300, n_items=100, n_samples=20000, random_state=0)
monday = X["user_id"].isin([f"u{i}" for i in range(250)]).to_numpy()
X_old, y_old, X_new, y_new = X[monday], y[monday], X[~monday], y[~monday]

model = MultiTaskRecommender(
    user_col="user_id", item_col="item_id", max_epochs=5, lr=3e-3, random_state=0, verbose=1
).fit(X_old, y_old)

with tempfile.TemporaryDirectory() as tmp:
    folder = model.save(Path(tmp) / "model")
    print("saved:", sorted(p.name for p in folder.iterdir()))
    loaded = MultiTaskRecommender.load(folder)
    same = np.array_equal(loaded.predict(X_new)["rating"], model.predict(X_new)["rating"])
    print("loaded model predicts the same:", same)

    # Tuesday: 50 users the model has never seen. Half of their rows update
    # the model, the other half measure it.
    half = np.arange(len(X_new)) % 2 == 0
    before = loaded.score_tasks(X_new[~half], y_new[~half])["click"]
    for _ in range(3):
        loaded.partial_fit(X_new[half], y_new[half])
    after = loaded.score_tasks(X_new[~half], y_new[~half])["click"]
    print(
        f"click AUC on held-out rows of the new users: {before:.3f} while unseen, "
        f"{after:.3f} after partial_fit"
    )
    print(f"user vocabulary: {len(loaded.schema_.vocabularies_['user_id'])} ids")

    try:
        import onnxruntime
    except ImportError:
        print("onnxruntime is not installed: pip install 'sklearn-mtl[onnx]' to export.")
    else:
        path = loaded.export_onnx(Path(tmp) / "model.onnx")
        session = onnxruntime.InferenceSession(str(path))
        click, like, rating = session.run(None, loaded.onnx_inputs(X_new))
        gap = np.abs(rating - loaded.predict(X_new)["rating"]).max()
        print(
            f"ONNX inputs {[i.name for i in session.get_inputs()]}, outputs "
            f"{[o.name for o in session.get_outputs()]}; largest gap to predict: {gap:.1e}"
        )
