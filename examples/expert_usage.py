"""How MMoE's gates share experts between tasks, as the tasks' relatedness changes
===============================================================================

Trains MMoE on the MMoE paper's synthetic data at task correlations 0.0 and
1.0, prints each task's mean gate weight per expert, and plots both as
heatmaps (``expert_usage.png``; needs matplotlib, ``pip install matplotlib``).
Each row shows which experts one task's gate relies on: rows that put their
weight on different experts mean the tasks have separated.

What it shows, plainly: at these settings (10,000 rows, 20 epochs) no expert
belongs to one task. Both tasks spread their weight over all eight experts
(about 0.07 to 0.26 each) at correlation 0.0 as at 1.0. The two rows do
differ more at correlation 0.0: the printed distance between them (total
variation, 0 for identical rows, 1 for disjoint experts) is larger than at
1.0. One data set cannot say more; ``examples/mmoe_correlation.py`` measures
it over 12, where the distance at correlation 0.0 is about twice that at 1.0.

    python examples/expert_usage.py
"""

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_mmoe_synthetic

usages = {}
for correlation in (0.0, 1.0):
    X, y = make_mmoe_synthetic(10_000, correlation=correlation, random_state=0)
    model = MultiTaskRecommender(
        architecture="mmoe",
        n_experts=8,
        shared_units=(16,),
        tower_units=(8,),
        max_epochs=20,
        batch_size=128,
        random_state=0,
        verbose=1,
    ).fit(X, y)
    usages[correlation] = usage = model.expert_usage(X)
    print(f"correlation {correlation}: mean gate weight per expert")
    print(usage.round(3).to_string())
    distance = 0.5 * (usage.iloc[0] - usage.iloc[1]).abs().sum()
    print(f"distance between the two tasks' gates: {distance:.3f}\n")

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no plot.")
else:
    fig, axes = plt.subplots(1, 2, figsize=(10, 2.8), constrained_layout=True)
    for ax, (correlation, usage) in zip(axes, usages.items(), strict=True):
        image = ax.imshow(usage.to_numpy(), vmin=0, vmax=usage.to_numpy().max(), cmap="viridis")
        ax.set_xticks(range(usage.shape[1]), usage.columns, rotation=45, ha="right")
        ax.set_yticks(range(usage.shape[0]), usage.index)
        ax.set_title(f"task correlation {correlation}")
    fig.colorbar(image, ax=axes, label="mean gate weight")
    fig.savefig("expert_usage.png", dpi=120)
    print("saved expert_usage.png")
