"""Checks for lesson 06, the capstone: the budgets, the early-stopping callback, and the trained score."""

from __future__ import annotations

import contextlib
import contextvars
import functools
from typing import Callable

from .. import capstone, training
from .core import MISTAKES, require_function

__all__ = ["check_capstone_model", "check_stop_callback", "score_capstone"]

MISTAKES.update({
    "watches_training_accuracy": (
        "the callback watched the training accuracy ('accuracy'); the target is on the validation accuracy, "
        "logs['val_accuracy'], which measures images the model does not train on."
    ),
    "stops_late": (
        "the callback stopped one epoch too late, or not at all: set self.model.stop_training = True in the "
        "epoch whose val_accuracy first reaches the target (>= target)."
    ),
    "stops_early": (
        "the callback stopped before the target was reached: compare logs['val_accuracy'] >= self.target."
    ),
    "target_ignored": (
        "the callback ignores the target it was given: store it in __init__ (self.target = target) and compare "
        "with it, not with a fixed number."
    ),
})


@functools.cache
def _keras():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


def _built_model(build_model: Callable):
    keras = _keras()
    try:
        model = build_model()
    except Exception as error:  # noqa: BLE001 - whatever the learner's code raises, it is the message
        raise AssertionError(f"build_model() did not build a model: {type(error).__name__}: {error}") from None
    if not isinstance(model, keras.Model):
        raise AssertionError(f"build_model() returned {type(model).__name__}; it should return a keras.Model.")
    return model


def _problems(build_model: Callable, plan) -> tuple[object, list[str]]:
    model = _built_model(build_model)
    try:
        plan = capstone.checked_plan(plan)
        return model, capstone.budget_report(model, plan)
    except capstone.BudgetError as error:
        return model, [str(error)]


def check_capstone_model(build_model: Callable, plan: dict) -> None:
    """The model takes 28x28x1 images, ends in 10 outputs, has a Conv2D and a pooling layer, and fits both budgets."""
    require_function(build_model, "check_capstone_model", "build_model")
    model, problems = _problems(build_model, plan)
    if problems:
        raise AssertionError("The capstone's rules are not met:\n- " + "\n- ".join(problems))
    print(f"{model.count_params():,} parameters (budget {capstone.PARAMETER_BUDGET:,}); "
          f"{capstone.training_macs(model, plan):,} training MACs (budget {capstone.COMPUTE_BUDGET:,}).")


def _stopping_epoch(callback_class, target: float, history: list[dict]) -> int | None:
    keras = _keras()
    callback = callback_class(target)
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.stop_training = False
    callback.set_model(model)
    for epoch, logs in enumerate(history):
        callback.on_epoch_end(epoch, dict(logs))
        if model.stop_training:
            return epoch
    return None


def check_stop_callback(callback_class) -> None:
    """On scripted histories, training stops in the first epoch whose val_accuracy reaches the target."""
    require_function(callback_class, "check_stop_callback", "StopAtAccuracy")
    scripts = [  # (target, history, epoch that must stop, what stopping elsewhere means)
        (0.9, [{"accuracy": 0.86, "val_accuracy": 0.84}, {"accuracy": 0.91, "val_accuracy": 0.88},
               {"accuracy": 0.93, "val_accuracy": 0.90}, {"accuracy": 0.95, "val_accuracy": 0.91}], 2),
        (0.75, [{"accuracy": 0.70, "val_accuracy": 0.72}, {"accuracy": 0.80, "val_accuracy": 0.76},
                {"accuracy": 0.85, "val_accuracy": 0.80}], 1),
        (0.99, [{"accuracy": 0.99, "val_accuracy": 0.90}, {"accuracy": 0.995, "val_accuracy": 0.95}], None),
    ]
    for target, history, expected in scripts:
        try:
            stopped = _stopping_epoch(callback_class, target, history)
        except Exception as error:  # noqa: BLE001
            raise AssertionError(f"StopAtAccuracy({target}) failed on a scripted history: "
                                 f"{type(error).__name__}: {error}") from None
        if stopped == expected:
            continue
        text = (f"StopAtAccuracy({target}) on the val_accuracy history "
                f"{[logs['val_accuracy'] for logs in history]} stopped after epoch "
                f"{'never' if stopped is None else stopped}, expected {'never' if expected is None else expected}")
        first_train = next((i for i, logs in enumerate(history) if logs["accuracy"] >= target), None)
        if stopped is not None and stopped == first_train:
            raise AssertionError(f"{text}: {MISTAKES['watches_training_accuracy']}")
        if expected is not None and (stopped is None or stopped > expected):
            if target != 0.9 and stopped == _stopping_epoch_for_fixed(history, 0.9):
                raise AssertionError(f"{text}: {MISTAKES['target_ignored']}")
            raise AssertionError(f"{text}: {MISTAKES['stops_late']}")
        raise AssertionError(f"{text}: {MISTAKES['stops_early']}")


def _stopping_epoch_for_fixed(history: list[dict], fixed: float) -> int | None:
    return next((i for i, logs in enumerate(history) if logs["val_accuracy"] >= fixed), None)


# True while the grader re-runs the capstone's test outside the student's kernel (convcourse/grading/recheck.py).
_TRAINING_BY_GRADER = contextvars.ContextVar("training_by_grader", default=False)


@contextlib.contextmanager
def training_by_grader():
    """Within this block, score_capstone trains for real even though nbgrader is autograding."""
    token = _TRAINING_BY_GRADER.set(True)
    try:
        yield
    finally:
        _TRAINING_BY_GRADER.reset(token)


def grader_trains_later() -> bool:
    """True in a kernel that nbgrader autogrades: the grader trains the plan itself, outside the kernel."""
    return training.nbgrader_run() == "autograde" and not _TRAINING_BY_GRADER.get()


def score_capstone(build_model: Callable, plan: dict, **training) -> float:
    """Train the plan in a separate, seeded process on all 60,000 images; return the points its test accuracy earns.

    nbgrader takes a number returned by a test cell as that cell's score (partial credit).
    """
    require_function(build_model, "score_capstone", "build_model")
    model, problems = _problems(build_model, plan)
    if problems:
        raise AssertionError("Not trained, because the capstone's rules are not met (0 points):\n- "
                             + "\n- ".join(problems))
    if grader_trains_later():
        print("The model and plan meet the rules. The grader trains them after this cell, outside your "
              "notebook's kernel, and sets this cell's points from the test accuracy.")
        return 0.0
    result = capstone.train_and_evaluate(model.to_json(), plan, **training)
    if result.status != "trained":
        raise AssertionError(f"Training {result.status} (0 points): {result.message}")
    points = capstone.points_for(result.test_accuracy)
    print(f"test accuracy {result.test_accuracy:.4f} after {result.epochs_run} epoch(s), {result.seconds:.0f} s of "
          f"training: {points:g} of {capstone.ACCURACY_POINTS} points (full marks from "
          f"{capstone.FULL_MARKS_ACCURACY}, partial from {capstone.PARTIAL_FROM_ACCURACY}).")
    return points
