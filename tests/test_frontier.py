"""Lesson 06's frontier: the recorded designs are the ones convcourse/frontier.py defines, counted with the
grader's one MAC formula, and the capstone's reference reaches 0.90 inside the rules."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from convcourse import COURSE_ROOT, capstone, frontier, notebooks  # noqa: E402

RUNS = {run["name"]: run for run in frontier.load()["runs"]}
DESIGNS = {design.name: design for design in frontier.DESIGNS}


def test_every_design_is_recorded_once_in_the_order_it_is_defined():
    assert list(RUNS) == list(DESIGNS)


@pytest.mark.parametrize("name", list(DESIGNS))
def test_recorded_counts_and_plans_are_the_grader_s(name):
    design, run = DESIGNS[name], RUNS[name]
    assert {key: run[key] for key in ("parameters", "forward_macs", "training_macs")} == frontier.counts(design)
    assert run["plan"] == capstone.checked_plan(design.plan)
    breaks_rules = bool(capstone.budget_report(frontier.build(design), design.plan))
    assert run["within_rules"] is design.within_rules is not breaks_rules
    assert 0.1 < run["test_accuracy"] < 1 and run["seconds"] > 0


def test_mac_counts_by_hand():
    # 'same' keeps 28x28 for the first convolution; pooled to 14, the second gives 12x12, pooled to 6x6x32.
    same = 28 * 28 * 3 * 3 * 1 * 16 + 12 * 12 * 3 * 3 * 16 * 32 + 6 * 6 * 32 * 48 + 48 * 10
    assert frontier.counts(DESIGNS[frontier.REFERENCE])["forward_macs"] == same == 832_224
    # a third convolution on the 5x5x32 maps ('same'), then global average pooling straight into Dense(10)
    third = 26 * 26 * 3 * 3 * 16 + 11 * 11 * 3 * 3 * 16 * 32 + 5 * 5 * 3 * 3 * 32 * 64 + 64 * 10
    counts = frontier.counts(DESIGNS["third conv + global pooling"])
    assert counts["forward_macs"] == third == 1_116_352
    assert counts["training_macs"] == third * 60_000 * 3


def test_augmentation_and_batch_normalisation_add_no_macs_to_the_same_convolutions():
    plain = frontier.counts(DESIGNS["cosine schedule"])["forward_macs"]
    for name in ("random shifts", "random flips", "batch normalisation", "dropout 0.3"):
        assert frontier.counts(DESIGNS[name])["forward_macs"] == plain


def test_the_reference_is_lesson_06_s_solution_and_reaches_090_inside_the_rules():
    solution = notebooks.definitions(notebooks.read("06_capstone"))
    theirs, ours = solution["build_model"](), frontier.build(DESIGNS[frontier.REFERENCE])
    assert [type(layer).__name__ for layer in theirs.layers] == [type(layer).__name__ for layer in ours.layers]
    assert [layer.output.shape for layer in theirs.layers] == [layer.output.shape for layer in ours.layers]
    assert theirs.count_params() == ours.count_params()
    assert capstone.checked_plan(solution["TRAINING_PLAN"]) == RUNS[frontier.REFERENCE]["plan"]
    reference = RUNS[frontier.REFERENCE]
    assert reference["within_rules"] and reference["test_accuracy"] >= 0.90
    best = max(run["test_accuracy"] for run in RUNS.values() if run["within_rules"])
    assert reference["test_accuracy"] >= best - 0.005, "the reference is (within half a point) the best design"


def test_pareto_keeps_only_designs_nothing_beats():
    def run(name, macs, accuracy):
        return {"name": name, "training_macs": macs, "test_accuracy": accuracy}
    runs = [run("cheap", 1, 0.80), run("dominated", 2, 0.79), run("better", 3, 0.85), run("tie", 3, 0.84),
            run("best", 5, 0.90), run("wasteful", 9, 0.90)]
    assert [r["name"] for r in frontier.pareto(runs)] == ["cheap", "better", "best"]


def test_the_figure_shows_every_design_the_budget_the_frontier_and_names_the_reference_and_the_seed():
    figure = frontier.show()
    ax = figure.axes[0]
    points = sum(len(collection.get_offsets()) for collection in ax.collections)
    assert points == len(RUNS)
    lines = {line.get_label(): line for line in ax.get_lines()}
    budget = next(line for label, line in lines.items() if label.startswith("compute budget"))
    assert list(budget.get_xdata()) == [capstone.COMPUTE_BUDGET / 1e9] * 2
    inside = [run for run in RUNS.values() if run["within_rules"]]
    assert list(lines["frontier (inside the rules)"].get_ydata()) == \
        [run["test_accuracy"] for run in frontier.pareto(inside)]
    assert {text.get_text() for text in ax.texts} == {frontier.REFERENCE, frontier.SEED_CNN}
    assert figure._repr_png_().startswith(b"\x89PNG")


def test_make_frontier_refuses_an_unknown_design_and_lists_the_designs():
    import subprocess
    import sys

    finished = subprocess.run([sys.executable, "benchmarks/capstone_frontier.py", "--only", "no such design"],
                              capture_output=True, text=True, cwd=COURSE_ROOT,
                              timeout=120)
    assert finished.returncode == 1
    assert "no design named no such design" in finished.stderr and frontier.REFERENCE in finished.stderr


def test_the_benchmark_prints_the_recorded_table_and_frontier(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("capstone_frontier", COURSE_ROOT / "benchmarks" / "capstone_frontier.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.print_table(list(RUNS.values()))
    printed = capsys.readouterr().out
    assert "(outside the rules)" in printed and f"{RUNS[frontier.REFERENCE]['test_accuracy']:.4f}" in printed
    frontier_lines = printed.split("Pareto frontier inside the rules")[1].strip().splitlines()[1:]
    assert len(frontier_lines) == len(frontier.pareto([run for run in RUNS.values() if run["within_rules"]]))
