"""The capstone's rules and its trainer: budgets counted by hand, seeded training that repeats exactly."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402

from convcourse import capstone, checks  # noqa: E402

PLAN = {"optimizer": "adam", "learning_rate": 0.001, "epochs": 5, "batch_size": 64}


def sequential(*layers):
    return keras.Sequential([keras.Input(shape=(28, 28, 1)), *layers])


def seed_cnn():
    L = keras.layers
    return sequential(L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D(2, 2),
                      L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D(2, 2),
                      L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax"))


def small_cnn(**last):
    L = keras.layers
    return sequential(L.Conv2D(8, (3, 3), activation="relu"), L.MaxPooling2D(2, 2), L.Flatten(),
                      L.Dense(10, **({"activation": "softmax"} | last)))


def test_forward_macs_of_the_seed_cnn_by_hand():
    by_hand = 26 * 26 * 3 * 3 * 1 * 64 + 11 * 11 * 3 * 3 * 64 * 64 + 1600 * 128 + 128 * 10
    assert capstone.forward_macs(seed_cnn()) == by_hand == 5_056_000


def test_the_seed_cnn_breaks_both_budgets_and_says_by_how_much():
    problems = capstone.budget_report(seed_cnn(), PLAN)
    assert any("243,786 parameters" in p for p in problems)
    assert any("1,516,800,000,000 MACs" in p for p in problems)


@pytest.mark.parametrize("model, words", [
    (lambda: sequential(keras.layers.Flatten(), keras.layers.Dense(10)), "at least one Conv2D"),
    (lambda: sequential(keras.layers.Conv2D(4, 3), keras.layers.Flatten(), keras.layers.Dense(10)), "pooling layer"),
    (lambda: sequential(keras.layers.Conv2D(4, 3), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                        keras.layers.Dense(5)), "10 outputs"),
    (lambda: keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Reshape((28, 28, 1)),
                               keras.layers.Conv2D(4, 3), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                               keras.layers.Dense(10)]), "(28, 28, 1) images"),
])
def test_rules_name_what_is_missing(model, words):
    assert any(words in problem for problem in capstone.budget_report(model(), PLAN))


def test_the_reference_design_fits_both_budgets():
    L = keras.layers
    reference = sequential(L.Conv2D(16, (3, 3), activation="relu"), L.MaxPooling2D(2, 2),
                           L.Conv2D(32, (3, 3), activation="relu"), L.MaxPooling2D(2, 2), L.Flatten(),
                           L.Dense(64, activation="relu"), L.Dense(10, activation="softmax"))
    assert capstone.budget_report(reference, PLAN) == []
    assert reference.count_params() == 56_714
    assert capstone.training_macs(reference, PLAN) <= capstone.COMPUTE_BUDGET


def test_a_layer_with_weights_but_no_mac_rule_is_refused():
    model = sequential(keras.layers.DepthwiseConv2D(3), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                       keras.layers.Dense(10))
    with pytest.raises(capstone.BudgetError, match="DepthwiseConv2D"):
        capstone.forward_macs(model)


@pytest.mark.parametrize("change, words", [
    ({"optimizer": "adamw"}, "optimizer must be one of"),
    ({"learning_rate": 5}, "between 0 and 1"),
    ({"epochs": 2.5}, "epochs must be a whole number"),
    ({"batch_size": 4}, "batch_size must be a whole number from 8"),
    ({"schedule": "linear"}, "schedule must be one of constant, cosine, warmup_cosine"),
    ({"label_smoothing": 0.9}, "label_smoothing must be a number from 0 to 0.5"),
    ({"label_smoothing": True}, "label_smoothing must be a number"),
    ({"momentum": 0.9}, "and optionally schedule, label_smoothing"),
])
def test_plans_are_checked(change, words):
    with pytest.raises(capstone.BudgetError, match=words):
        capstone.checked_plan(PLAN | change)
    with pytest.raises(capstone.BudgetError, match="with the keys optimizer, learning_rate, epochs, batch_size"):
        capstone.checked_plan({"epochs": 3})


def test_optional_plan_keys_default_to_a_constant_rate_without_smoothing():
    assert capstone.checked_plan(PLAN) == PLAN | {"schedule": "constant", "label_smoothing": 0.0}
    assert capstone.learning_rate(PLAN) == 0.001


def test_a_cosine_schedule_falls_from_the_rate_to_zero_over_the_plan_s_steps():
    plan = PLAN | {"schedule": "cosine", "learning_rate": 0.002, "epochs": 2, "batch_size": 100}
    schedule = capstone.learning_rate(plan, images=1_000)  # 10 steps an epoch, 20 in all
    rates = [float(schedule(step)) for step in (0, 10, 20)]
    assert rates == pytest.approx([0.002, 0.001, 0.0], abs=1e-7)


def test_warm_up_starts_at_a_tenth_and_peaks_after_a_tenth_of_the_steps():
    plan = PLAN | {"schedule": "warmup_cosine", "learning_rate": 0.002, "epochs": 10, "batch_size": 100}
    schedule = capstone.learning_rate(plan, images=1_000)  # 100 steps, 10 of them warm-up
    assert [float(schedule(step)) for step in (0, 10, 100)] == pytest.approx([0.0002, 0.002, 0.0], abs=1e-7)


@pytest.mark.parametrize("softmax", [True, False])
def test_label_smoothing_on_integer_labels_matches_keras_on_one_hot_labels(softmax):
    model = small_cnn(**({} if softmax else {"activation": None}))
    capstone.compile_for_plan(model, PLAN | {"label_smoothing": 0.1})
    labels = np.array([3, 0, 9])
    outputs = keras.ops.convert_to_tensor(np.random.default_rng(0).uniform(0.05, 1, (3, 10)).astype("float32"))
    if softmax:
        outputs = outputs / keras.ops.sum(outputs, axis=1, keepdims=True)
    oracle = keras.losses.CategoricalCrossentropy(from_logits=not softmax, label_smoothing=0.1)
    per_image = keras.ops.convert_to_numpy(model.loss(labels, outputs))  # the grader's loss, before averaging
    assert per_image.mean() == pytest.approx(float(oracle(np.eye(10)[labels], outputs)), rel=1e-6)


def test_points_step_from_084_to_088():
    assert [capstone.points_for(a) for a in (0.8399, 0.84, 0.855, 0.8699, 0.87, 0.88, 0.95, float("nan"))] == \
        [0, 1, 2, 3, 4, 5, 5, 0]


TINY = {"optimizer": "adam", "learning_rate": 0.003, "epochs": 1, "batch_size": 32}


@pytest.mark.slow
def test_the_same_submission_trained_twice_scores_exactly_the_same():
    model_json = small_cnn().to_json()
    first = capstone.train_and_evaluate(model_json, TINY, train_size=1_500)
    second = capstone.train_and_evaluate(model_json, TINY, train_size=1_500)
    assert first.status == second.status == "trained", (first, second)
    assert first.test_accuracy == second.test_accuracy and 0.3 < first.test_accuracy < 1
    other_seed = capstone.train_and_evaluate(model_json, TINY, train_size=1_500, seed=7)
    assert other_seed.test_accuracy != first.test_accuracy, "the seed must matter, or the test proves nothing"


@pytest.mark.slow
def test_a_diverging_plan_is_reported_as_such():
    exploding = small_cnn(kernel_initializer=keras.initializers.Constant(float("nan"))).to_json()
    result = capstone.train_and_evaluate(exploding, TINY, train_size=500)
    assert result.status == "diverged" and "NaN" in result.message


@pytest.mark.slow
def test_the_safety_cap_stops_training_and_says_so():
    result = capstone.train_and_evaluate(small_cnn().to_json(), TINY, train_size=1_500, time_cap=1)
    assert result.status == "timeout" and "1 s safety cap" in result.message


def test_a_broken_model_description_fails_with_the_reason():
    result = capstone.train_and_evaluate('{"not": "a model"}', TINY, train_size=500)
    assert result.status == "failed" and "exit code" in result.message


def test_score_capstone_refuses_to_train_a_model_that_breaks_the_rules():
    with pytest.raises(AssertionError, match="(?s)Not trained.*243,786 parameters"):
        checks.score_capstone(seed_cnn, PLAN)
    with pytest.raises(AssertionError, match="did not build a model: ZeroDivisionError"):
        checks.score_capstone(lambda: 1 / 0, PLAN)


@pytest.mark.slow
def test_score_capstone_returns_the_points_for_the_trained_accuracy(capsys):
    points = checks.score_capstone(small_cnn, TINY | {"epochs": 1}, train_size=1_500)
    report = capsys.readouterr().out
    accuracy = float(report.split("test accuracy ")[1].split()[0])
    assert points == capstone.points_for(accuracy)


class GoodStop(keras.callbacks.Callback):
    def __init__(self, target):
        super().__init__()
        self.target = target

    def on_epoch_end(self, epoch, logs=None):
        if logs["val_accuracy"] >= self.target:
            self.model.stop_training = True


class WatchesTraining(GoodStop):
    def on_epoch_end(self, epoch, logs=None):
        if logs["accuracy"] >= self.target:
            self.model.stop_training = True


class StrictlyGreater(GoodStop):
    def on_epoch_end(self, epoch, logs=None):
        if logs["val_accuracy"] > self.target:
            self.model.stop_training = True


class FixedTarget(GoodStop):
    def on_epoch_end(self, epoch, logs=None):
        if logs["val_accuracy"] >= 0.9:
            self.model.stop_training = True


class NeverStops(GoodStop):
    def on_epoch_end(self, epoch, logs=None):
        pass


def test_a_correct_callback_passes_the_scripted_histories():
    checks.check_stop_callback(GoodStop)


@pytest.mark.parametrize("callback, mistake", [(WatchesTraining, "watches_training_accuracy"),
                                               (StrictlyGreater, "stops_late"), (FixedTarget, "target_ignored"),
                                               (NeverStops, "stops_late")])
def test_classic_callback_mistakes_are_named(callback, mistake):
    with pytest.raises(AssertionError) as raised:
        checks.check_stop_callback(callback)
    assert checks.MISTAKES[mistake] in str(raised.value)


def test_the_callback_really_stops_keras_training():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(400, 2)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    history = model.fit(x, y, validation_split=0.25, epochs=30, verbose=0, callbacks=[GoodStop(0.9)])
    assert len(history.history["loss"]) < 30 and history.history["val_accuracy"][-1] >= 0.9
