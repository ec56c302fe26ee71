"""The capstone's rules, and the trainer that grades a submitted model and training plan.

Budgets are counted, not timed, so a submission gets the same score on a laptop, in CI
and on a grading server:

* at most ``PARAMETER_BUDGET`` learned parameters;
* at most ``COMPUTE_BUDGET`` multiply-accumulates (MACs) of training: the forward MACs
  of one image (each Conv2D: output height x width x k x k x input channels x filters;
  each Dense: inputs x units) x the 60,000 training images x the epochs.

``train_and_evaluate`` trains a model, rebuilt from its Keras JSON, in a separate
process with fixed seeds and a wall-time safety cap, and returns its test accuracy.
``python -m convcourse.capstone`` is that process: a JSON request on stdin, a JSON
result as the last line of stdout.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

from .activations import activation_name

PARAMETER_BUDGET = 100_000
TRAINING_IMAGES = 60_000
COMPUTE_BUDGET = 250_000_000_000  # MACs: the reference plan uses 249.7e9 of it and trains in about a minute
FULL_MARKS_ACCURACY = 0.88
PARTIAL_FROM_ACCURACY = 0.84
ACCURACY_POINTS = 5
TIME_CAP_SECONDS = 480  # a safety net only: the compute budget keeps honest plans (about 90 s) far below it
SEED = 2026
OPTIMIZERS = ("adam", "sgd", "rmsprop")
PLAN_KEYS = ("optimizer", "learning_rate", "epochs", "batch_size")
PLAN_OPTIONS = {"schedule": "constant", "label_smoothing": 0.0}  # optional keys, and their values when left out
SCHEDULES = ("constant", "cosine", "warmup_cosine")


class BudgetError(ValueError):
    """A model or plan that breaks the capstone's rules; the message says which rule and by how much."""


def forward_macs(model) -> int:
    """Multiply-accumulates one image costs on its way through ``model`` (Conv2D and Dense layers)."""
    total = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            rows, cols, filters = layer.output.shape[1:]
            k_rows, k_cols = layer.kernel_size
            total += rows * cols * k_rows * k_cols * layer.input.shape[-1] * filters
        elif kind == "Dense":
            total += math.prod(layer.input.shape[1:]) * layer.units
        elif layer.weights and kind not in ("BatchNormalization",):
            raise BudgetError(f"the budget counts Conv2D and Dense layers; {kind} ({layer.name}) has weights but "
                              f"no MAC rule here: use Conv2D, Dense, pooling, Flatten, Dropout or BatchNormalization.")
    return int(total)


def training_macs(model, plan: dict) -> int:
    return forward_macs(model) * TRAINING_IMAGES * plan["epochs"]


def checked_plan(plan) -> dict:
    """The training plan with its types checked and its optional keys filled in.

    Required: optimizer, learning_rate, epochs, batch_size. Optional: schedule ('constant', 'cosine': the
    learning rate falls along a half cosine to 0 by the last step; 'warmup_cosine': rises from a tenth of it
    over the first tenth of the steps, then the same cosine) and label_smoothing (0 to 0.5).
    """
    keys = f"{', '.join(PLAN_KEYS)} (and optionally {', '.join(PLAN_OPTIONS)})"
    if not isinstance(plan, dict) or not set(PLAN_KEYS) <= set(plan) <= set(PLAN_KEYS) | set(PLAN_OPTIONS):
        raise BudgetError(f"TRAINING_PLAN must be a dict with the keys {keys}; got {plan!r}.")
    plan = PLAN_OPTIONS | plan
    if plan["optimizer"] not in OPTIMIZERS:
        raise BudgetError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {plan['optimizer']!r}.")
    rate = plan["learning_rate"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 1:
        raise BudgetError(f"learning_rate must be a number between 0 and 1 (such as 0.001); got {rate!r}.")
    for key, low, high in (("epochs", 1, 50), ("batch_size", 8, 2048)):
        value = plan[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise BudgetError(f"{key} must be a whole number from {low} to {high}; got {value!r}.")
    if plan["schedule"] not in SCHEDULES:
        raise BudgetError(f"schedule must be one of {', '.join(SCHEDULES)}; got {plan['schedule']!r}.")
    smoothing = plan["label_smoothing"]
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or not 0 <= smoothing <= 0.5:
        raise BudgetError(f"label_smoothing must be a number from 0 to 0.5 (such as 0.1); got {smoothing!r}.")
    return plan


def budget_report(model, plan: dict) -> list[str]:
    """Every rule the model and plan break (empty when they may be trained)."""
    problems = []
    shape = tuple(model.inputs[0].shape[1:]) if getattr(model, "inputs", None) else None
    if shape != (28, 28, 1):
        problems.append(f"the model must take (28, 28, 1) images; its input is {shape}.")
    outputs = tuple(model.outputs[0].shape[1:]) if getattr(model, "outputs", None) else None
    if outputs != (10,):
        problems.append(f"the model must end in 10 outputs, one per class; its output is {outputs}.")
    kinds = {type(layer).__name__ for layer in model.layers}
    if "Conv2D" not in kinds:
        problems.append("the model needs at least one Conv2D layer: this is a course on convolutions.")
    if not kinds & {"MaxPooling2D", "AveragePooling2D"}:
        problems.append("the model needs at least one pooling layer (MaxPooling2D or AveragePooling2D).")
    params = model.count_params()
    if params > PARAMETER_BUDGET:
        problems.append(f"the model has {params:,} parameters, over the budget of {PARAMETER_BUDGET:,}.")
    macs = training_macs(model, plan)
    if macs > COMPUTE_BUDGET:
        problems.append(f"training would cost {macs:,} MACs ({forward_macs(model):,} per image x {TRAINING_IMAGES:,} "
                        f"images x {plan['epochs']} epochs), over the budget of {COMPUTE_BUDGET:,}: fewer epochs, "
                        f"fewer filters, or pool earlier.")
    return problems


def points_for(accuracy: float) -> float:
    """1 point from 0.84, one more for each further 0.01, full marks (5) from 0.88."""
    if not math.isfinite(accuracy) or accuracy < PARTIAL_FROM_ACCURACY:
        return 0.0
    steps = math.floor(round((accuracy - PARTIAL_FROM_ACCURACY) * 100, 6)) + 1
    return float(min(steps, ACCURACY_POINTS))


def learning_rate(plan: dict, images: int = TRAINING_IMAGES):
    """The plan's learning rate: a number, or a Keras schedule over the run's steps (one per batch)."""
    import keras

    plan = checked_plan(plan)
    rate, steps = plan["learning_rate"], plan["epochs"] * math.ceil(images / plan["batch_size"])
    if plan["schedule"] == "cosine":
        return keras.optimizers.schedules.CosineDecay(rate, decay_steps=steps)
    if plan["schedule"] == "warmup_cosine":
        warmup = max(1, steps // 10)
        return keras.optimizers.schedules.CosineDecay(rate / 10, decay_steps=steps - warmup, warmup_target=rate,
                                                      warmup_steps=warmup)
    return rate


def compile_for_plan(model, plan: dict, images: int = TRAINING_IMAGES):
    """Compile ``model`` as the grader does: the plan's optimizer and learning rate (schedules span the
    plan's epochs over ``images`` training images), a cross-entropy for integer labels that expects
    probabilities after a final softmax and logits otherwise, with the plan's label smoothing, and accuracy."""
    import keras

    plan = checked_plan(plan)
    optimizer = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD,
                 "rmsprop": keras.optimizers.RMSprop}[plan["optimizer"]](learning_rate=learning_rate(plan, images))
    from_logits = activation_name(model.layers[-1]) != "softmax"
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    if plan["label_smoothing"]:
        loss = _smoothed_cross_entropy(plan["label_smoothing"], from_logits)
    model.compile(optimizer=optimizer, metrics=["accuracy"], loss=loss)
    return model


def _smoothed_cross_entropy(smoothing: float, from_logits: bool):
    """Cross-entropy against integer labels spread by label smoothing (Keras smooths one-hot labels only)."""
    import keras

    def smoothed_cross_entropy(labels, outputs):
        one_hot = keras.ops.one_hot(keras.ops.cast(keras.ops.reshape(labels, (-1,)), "int32"), outputs.shape[-1])
        return keras.losses.categorical_crossentropy(one_hot, outputs, from_logits=from_logits,
                                                     label_smoothing=smoothing)
    return smoothed_cross_entropy


@dataclass
class TrainingResult:
    status: str  # "trained", "diverged", "timeout" or "failed"
    test_accuracy: float = float("nan")
    epochs_run: int = 0
    seconds: float = 0.0
    message: str = ""


def train_and_evaluate(model_json: str, plan: dict, *, seed: int = SEED, train_size: int | None = None,
                       time_cap: float = TIME_CAP_SECONDS) -> TrainingResult:
    """Train the model described by ``model_json`` with ``plan`` in a fresh process; score it on the test set.

    ``train_size`` trains on a seeded subset (for tests of the grader itself); grading uses all 60,000 images.
    """
    request = json.dumps({"model": model_json, "plan": checked_plan(plan), "seed": seed, "train_size": train_size})
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED=str(seed))
    start = time.monotonic()
    try:
        finished = subprocess.run([sys.executable, "-m", "convcourse.capstone"], input=request, capture_output=True,
                                  text=True, timeout=time_cap, env=env)
    except subprocess.TimeoutExpired:
        return TrainingResult("timeout", seconds=time.monotonic() - start,
                              message=f"training did not finish within the {time_cap:g} s safety cap.")
    lines = finished.stdout.strip().splitlines()
    try:
        return TrainingResult(**json.loads(lines[-1]))
    except (IndexError, json.JSONDecodeError, TypeError):
        tail = (finished.stderr.strip().splitlines() or ["no output"])[-1]
        return TrainingResult("failed", seconds=time.monotonic() - start,
                              message=f"the training process stopped with exit code {finished.returncode}: {tail}")


def _train_here(request: dict) -> TrainingResult:
    """The worker's side: seeded data, model and training; runs in the child process."""
    import keras
    import numpy as np

    from . import data

    keras.utils.set_random_seed(request["seed"])
    (x_train, y_train), (x_test, y_test), _ = data.fashion_mnist()
    if request["train_size"]:
        chosen = np.random.default_rng(request["seed"]).permutation(len(x_train))[:request["train_size"]]
        x_train, y_train = x_train[chosen], y_train[chosen]
    x_train = (x_train.astype("float32") / 255)[..., None]
    x_test = (x_test.astype("float32") / 255)[..., None]
    model = compile_for_plan(keras.models.model_from_json(request["model"]), request["plan"], len(x_train))
    plan = request["plan"]
    start = time.monotonic()
    history = model.fit(x_train, y_train, epochs=plan["epochs"], batch_size=plan["batch_size"], verbose=0,
                        callbacks=[keras.callbacks.TerminateOnNaN()])
    seconds = time.monotonic() - start
    losses = history.history.get("loss", [])
    if not losses or not all(math.isfinite(loss) for loss in losses):
        return TrainingResult("diverged", epochs_run=len(losses), seconds=seconds,
                              message="the loss became NaN or infinite: training diverged; lower the learning rate.")
    _, accuracy = model.evaluate(x_test, y_test, verbose=0, batch_size=1000)
    return TrainingResult("trained", float(accuracy), len(losses), seconds)


if __name__ == "__main__":
    result = _train_here(json.loads(sys.stdin.read()))
    print(json.dumps(asdict(result)), flush=True)
