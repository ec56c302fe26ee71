"""make frontier: the capstone's accuracy against training MACs, for every design in convcourse/frontier.py.

Each design is trained the way the grader trains a submission (``capstone.train_and_evaluate``: its own
process, seed 2026, all 60,000 training images, scored on the 10,000 test images), one after another on
the whole machine. The table and the Pareto frontier are printed; ``--write`` records them in
data/capstone_frontier.json (and its SHA-256 in data/manifest.json), which lesson 06 draws.

About 25 minutes on two cores. Accuracies repeat exactly on the same machine; seconds swing with load.

    python benchmarks/capstone_frontier.py [--write] [--only NAME ...]

``--only`` retrains the named designs and, with ``--write``, keeps the recorded results of the others.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import sys

from convcourse import COURSE_ROOT, capstone, data, frontier


def train(design: frontier.Design) -> dict:
    result = capstone.train_and_evaluate(frontier.build(design).to_json(), design.plan)
    if result.status != "trained":
        raise SystemExit(f"{design.name}: {result.status}: {result.message}")
    return {"name": design.name, "idea": design.idea, "within_rules": design.within_rules,
            "plan": capstone.checked_plan(design.plan), **frontier.counts(design),
            "test_accuracy": round(result.test_accuracy, 4), "seconds": round(result.seconds, 1)}


def print_table(runs: list[dict]) -> None:
    reference = next((run for run in runs if run["name"] == frontier.REFERENCE), None)
    print(f"{'design':<30} {'params':>7} {'MACs/img':>9} {'train MACs':>11} {'accuracy':>8} {'seconds':>8}")
    for run in runs:
        ratio = f" ({run['seconds'] / reference['seconds']:.2f}x)" if reference else ""
        print(f"{run['name']:<30} {run['parameters']:>7,} {run['forward_macs']:>9,} "
              f"{run['training_macs'] / 1e9:>10.1f}B {run['test_accuracy']:>8.4f} {run['seconds']:>7.1f}s{ratio}"
              f"{'' if run['within_rules'] else '  (outside the rules)'}")
    print("Pareto frontier inside the rules (no design reaches more accuracy for fewer MACs):")
    for run in frontier.pareto([run for run in runs if run["within_rules"]]):
        print(f"  {run['training_macs'] / 1e9:6.1f}B MACs  {run['test_accuracy']:.4f}  {run['name']}")


def write(runs: list[dict]) -> None:
    path = data.DATA_DIR / frontier.RESULTS_FILE
    record = {"measured": datetime.date.today().isoformat(),
              "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}",
              "seed": capstone.SEED, "runs": runs}
    raw = (json.dumps(record, indent=1) + "\n").encode()
    path.write_bytes(raw)
    manifest_path = data.DATA_DIR / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"][frontier.RESULTS_FILE] = {
        "sha256": hashlib.sha256(raw).hexdigest(),
        "contents": "lesson 06's accuracy-per-MAC frontier, written by `make frontier` (benchmarks/capstone_frontier.py)"}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"recorded {len(runs)} designs in {path.relative_to(COURSE_ROOT)}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the results for lesson 06")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="train only these designs")
    args = parser.parse_args(argv)
    names = [design.name for design in frontier.DESIGNS]
    unknown = set(args.only or ()) - set(names)
    if unknown:
        raise SystemExit(f"no design named {', '.join(sorted(unknown))}; the designs: {'; '.join(names)}")
    kept = {}
    if args.only and (data.DATA_DIR / frontier.RESULTS_FILE).exists():
        kept = {run["name"]: run for run in frontier.load()["runs"]}
    for design in frontier.DESIGNS:
        if args.only is None or design.name in args.only:
            kept[design.name] = train(design)
            run = kept[design.name]
            print(f"  {design.name}: {run['test_accuracy']:.4f} in {run['seconds']:.0f} s", flush=True)
    runs = [kept[name] for name in names if name in kept]
    print_table(runs)
    if args.write:
        write(runs)


if __name__ == "__main__":
    data.use_offline_data(COURSE_ROOT / ".cache" / "keras")
    main(sys.argv[1:])
