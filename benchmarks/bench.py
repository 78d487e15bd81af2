"""Speed of the main job, printed as figures (not a test): build, evaluate, predict, and growth.

    .venv/bin/python benchmarks/bench.py            # all figures
    .venv/bin/python benchmarks/bench.py --quick    # skip the 100x scaling run

Measures: the whole rebuild from seeds/ (and its stages), fit + evaluate of every baseline,
predict throughput of the TF-IDF models, and how fit and predict time and peak memory grow with
10x and 100x the training sentences (replicated, so the vocabulary stays the same size).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from privacy_incidents import baselines as bl  # noqa: E402
from privacy_incidents.build import build_to, collect, make_rows  # noqa: E402
from privacy_incidents.evaluate import task_labels  # noqa: E402
from privacy_incidents.metrics import indicator as _indicator  # noqa: E402


def timed(label: str, function, *args):
    start = time.perf_counter()
    value = function(*args)
    seconds = time.perf_counter() - start
    print(f"{label:<52} {seconds:8.2f} s", flush=True)
    return value, seconds


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_card_and_extend(scratch: Path) -> None:
    """The card's parts, and the extend path (new, Label Studio export and import) on a project copy."""
    import shutil

    from privacy_incidents.croissant import write_croissant
    from privacy_incidents.extend import add_incident
    from privacy_incidents.labelstudio import export_label_studio, import_label_studio
    from privacy_incidents.plots import write_plots

    print("== card and extend")
    collected = collect(ROOT)
    release, _ = make_rows(collected.incidents, collected.links)
    timed("plots (3 PNG)", write_plots, release, scratch / "plots-only")
    facts = {"version": "bench", "license_name": "bench", "license_details": "bench"}
    timed("croissant.json (sha256 of every Parquet file)", write_croissant, scratch / "dataset", facts)
    copy = scratch / "project"
    for folder in ("schemas", "cards", "baselines", "seeds"):
        shutil.copytree(ROOT / folder, copy / folder)
    article = copy / "article.txt"
    article.write_text("A nurse at a clinic looked at the records of 300 patients without need and was fired.\n")
    timed("new: one article into the project", add_incident, copy, "bench-incident", article, {})
    one, _ = timed("export label-studio: 1 incident", export_label_studio, copy, scratch / "one.json", ["bench-incident"])
    tasks, _ = timed("export label-studio: every incident", export_label_studio, copy, scratch / "all.json")
    print(f"{'  (tasks exported)':<52} {tasks:8d}")
    timed("import label-studio: every incident (unedited)", import_all, copy, scratch / "all.json", import_label_studio)


def import_all(project: Path, tasks_path: Path, import_label_studio) -> None:
    """Accept every prediction as the review, in Label Studio's export shape, and import it."""
    import json

    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    for number, task in enumerate(tasks):
        task["id"] = number + 1
        task["annotations"] = [{"id": number + 1, "result": task["predictions"][0]["result"], "was_cancelled": False,
                                "completed_by": 1, "created_at": "2026-11-22T00:00:00Z", "updated_at": "2026-11-22T00:00:00Z"}]
    exported = tasks_path.with_name("exported.json")
    exported.write_text(json.dumps(tasks), encoding="utf-8")
    import_label_studio(project, exported, "benchmark")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print("== build (2 cores, one process)")
    collected, _ = timed("collect: read, normalise, suggest silver", collect, ROOT)
    timed("rows: segment, align, split", make_rows, collected.incidents, collected.links)
    with tempfile.TemporaryDirectory() as scratch:
        timed("whole rebuild from seeds/ (incl. card, quality)", build_to, ROOT, Path(scratch) / "dataset")
        bench_card_and_extend(Path(scratch))

    print("== baselines: fit + evaluate (grid on validation, bootstrap on test)")
    total = 0.0
    for name in bl.baseline_names():
        _, seconds = timed(f"evaluate {name}", bl.evaluate_baseline, name, ROOT / "dataset", None)
        total += seconds
    print(f"{'all baselines':<52} {total:8.2f} s")

    print("== predict throughput and growth (types task, best parameters fixed)")
    train = bl.read_split(ROOT / "dataset", "train")
    labels = list(task_labels("types"))
    y = _indicator(train.labels["types"], labels)
    present = y.any(axis=0)
    factors = (1, 10) if args.quick else (1, 10, 100)
    for name, params in (("tfidf_logreg_v1", {"C": 3.0}), ("tfidf_svm_v1", {"C": 0.3}), ("complement_nb_v1", {"alpha": 0.3})):
        spec = bl.load_baseline(name)
        for factor in factors:
            texts = train.texts * factor
            targets = y[:, present].repeat(1, axis=0)
            targets = __import__("numpy").tile(targets, (factor, 1))
            model, fit_seconds = timed(f"{name} fit x{factor} ({len(texts):,} sentences)", bl.make_estimator(spec, params).fit, texts, targets)
            start = time.perf_counter()
            model.predict(texts)
            rate = len(texts) / (time.perf_counter() - start)
            print(f"{'':<4}predict {rate:,.0f} sentences/s; peak memory so far {peak_mib():,.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
