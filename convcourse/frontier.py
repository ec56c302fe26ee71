"""The capstone's accuracy-per-MAC frontier: the designs `make frontier` trains, and lesson 06's figure of them.

Each design is a small CNN and a training plan inside the capstone's rules (the seed page's CNN is the one
exception, trained for scale). ``benchmarks/capstone_frontier.py`` trains every design with
``capstone.train_and_evaluate``, the grader's own path, and records the results in
``data/capstone_frontier.json``; lesson 06 draws them with ``show()``. MACs and parameters are counted by
``capstone.forward_macs`` and Keras, so the figure, the grader and the budget always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import capstone

RESULTS_FILE = "capstone_frontier.json"
REFERENCE = "reference: 'same' first conv"
SEED_CNN = "seed page's CNN"


@dataclass(frozen=True)
class Design:
    """A CNN of 3x3 convolutions, each of the first two followed by 2x2 max pooling, and its training plan."""

    name: str
    idea: str  # what the design tries, in a few words (the figure's colour groups)
    plan: dict
    filters: tuple[int, ...] = (16, 32)  # a third convolution keeps 'same' padding on the 5x5 maps, unpooled
    dense: int = 64  # units of the hidden Dense layer; 0 for none
    first_padding: str = "valid"
    head: str = "flatten"  # or "gap": global average pooling instead of flattening
    batch_norm: bool = False
    dropout: float = 0.0
    augment: str = ""  # "shift" or "flip": a Keras preprocessing layer, active only while training (0 MACs)
    within_rules: bool = True


def _plan(rate=0.002, epochs=5, batch_size=32, schedule="cosine", **options) -> dict:
    return {"optimizer": "adam", "learning_rate": rate, "epochs": epochs, "batch_size": batch_size,
            "schedule": schedule, **options}


DESIGNS = (
    Design("constant rate (the old reference)", "training plan", _plan(0.001, schedule="constant")),
    Design("cosine schedule", "training plan", _plan()),
    Design("cosine, 3 epochs", "training plan", _plan(epochs=3)),
    Design("cosine, 2 epochs", "training plan", _plan(epochs=2)),
    Design("warm-up then cosine", "training plan", _plan(schedule="warmup_cosine")),
    Design("batches of 64", "training plan", _plan(0.003, batch_size=64)),
    Design("label smoothing 0.1", "regularisation", _plan(label_smoothing=0.1)),
    Design("dropout 0.3", "regularisation", _plan(), dropout=0.3),
    Design("batch normalisation", "regularisation", _plan(0.003), batch_norm=True),
    Design("random shifts", "augmentation", _plan(), augment="shift"),
    Design("random flips", "augmentation", _plan(), augment="flip"),
    Design("narrow 8-16, 8 epochs", "width and depth", _plan(0.003, epochs=8), filters=(8, 16), dense=32),
    Design("wide 16-48, 4 epochs", "width and depth", _plan(epochs=4), filters=(16, 48)),
    Design(REFERENCE, "width and depth", _plan(), first_padding="same", dense=48),
    Design("'same' first conv, 3 epochs", "width and depth", _plan(epochs=3), first_padding="same", dense=48),
    Design("'same' + label smoothing", "width and depth", _plan(label_smoothing=0.1), first_padding="same",
           dense=48),
    Design("third conv + global pooling", "width and depth", _plan(0.003, epochs=3), filters=(16, 32, 64),
           head="gap", dense=0),
    Design("global pooling, no Dense", "width and depth", _plan(0.003), head="gap", dense=0),
    Design(SEED_CNN, "seed", _plan(0.001, epochs=4, schedule="constant"), filters=(64, 64), dense=128,
           within_rules=False),
)


def build(design: Design):
    """The Keras model of ``design`` (uncompiled)."""
    import keras

    layers = keras.layers
    stack = [keras.Input(shape=(28, 28, 1))]
    if design.augment == "shift":
        stack.append(layers.RandomTranslation(0.1, 0.1, fill_mode="constant"))
    elif design.augment == "flip":
        stack.append(layers.RandomFlip("horizontal"))
    for depth, filters in enumerate(design.filters):
        padding = design.first_padding if depth == 0 else ("valid" if depth == 1 else "same")
        if design.batch_norm:
            stack += [layers.Conv2D(filters, (3, 3), padding=padding, use_bias=False),
                      layers.BatchNormalization(), layers.Activation("relu")]
        else:
            stack.append(layers.Conv2D(filters, (3, 3), padding=padding, activation="relu"))
        if depth < 2:
            stack.append(layers.MaxPooling2D(2, 2))
    stack.append(layers.GlobalAveragePooling2D() if design.head == "gap" else layers.Flatten())
    if design.dropout:
        stack.append(layers.Dropout(design.dropout))
    if design.dense:
        stack.append(layers.Dense(design.dense, activation="relu"))
    stack.append(layers.Dense(10, activation="softmax"))
    return keras.Sequential(stack)


def counts(design: Design) -> dict:
    """Parameters, forward MACs per image and training MACs of ``design``, counted as the grader counts them."""
    model = build(design)
    return {"parameters": model.count_params(), "forward_macs": capstone.forward_macs(model),
            "training_macs": capstone.training_macs(model, design.plan)}


def pareto(results: list[dict]) -> list[dict]:
    """The results no other result beats: none reaches at least their accuracy for at most their MACs."""
    best, frontier = float("-inf"), []
    for result in sorted(results, key=lambda r: (r["training_macs"], -r["test_accuracy"])):
        if result["test_accuracy"] > best:
            frontier.append(result)
            best = result["test_accuracy"]
    return frontier


def load() -> dict:
    """The recorded results (checked against data/manifest.json)."""
    from . import data

    return data.load_course_file(RESULTS_FILE)


def show(results: dict | None = None):
    """Lesson 06's figure: test accuracy against training MACs, one point per design, the frontier as a line,
    the compute budget as a vertical line, the full-marks accuracy as a horizontal one."""
    from .plots import NotebookFigure

    runs = (results or load())["runs"]
    figure = NotebookFigure(figsize=(9, 5.2), layout="constrained")
    ax = figure.add_subplot()
    ideas = list(dict.fromkeys(run["idea"] for run in runs))
    for colour, idea in zip(("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:grey"), ideas):
        group = [run for run in runs if run["idea"] == idea]
        ax.scatter([run["training_macs"] / 1e9 for run in group], [run["test_accuracy"] for run in group],
                   s=36, color=colour, label=idea, zorder=3)
    inside = [run for run in runs if run["within_rules"]]
    line = pareto(inside)
    ax.plot([run["training_macs"] / 1e9 for run in line], [run["test_accuracy"] for run in line],
            color="black", linewidth=1, zorder=2, label="frontier (inside the rules)")
    for run in runs:
        if run["name"] in (REFERENCE, SEED_CNN):
            ax.annotate(run["name"], (run["training_macs"] / 1e9, run["test_accuracy"]), xytext=(6, -12),
                        textcoords="offset points", fontsize=9, weight="bold")
    ax.axvline(capstone.COMPUTE_BUDGET / 1e9, color="tab:red", linestyle="--", linewidth=1,
               label=f"compute budget ({capstone.COMPUTE_BUDGET / 1e9:g} billion MACs)")
    ax.axhline(capstone.FULL_MARKS_ACCURACY, color="tab:grey", linestyle=":", linewidth=1,
               label=f"full marks ({capstone.FULL_MARKS_ACCURACY})")
    ax.set_xscale("log")
    ax.set_xlabel("training MACs (billions, log scale)")
    ax.set_ylabel("test accuracy")
    ax.set_title("What each design bought: accuracy per training MAC on Fashion-MNIST")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    return figure
