"""Predict throughput of the whole `privacy-incidents predict` command, and `evaluate --all` time.

    .venv/bin/python benchmarks/predict_speed.py            # predict figures (needs fitted models)
    .venv/bin/python benchmarks/predict_speed.py --runs 3   # each figure three times (a range)
    .venv/bin/python benchmarks/predict_speed.py --evaluate # also time `evaluate --all` (refits everything)

Inputs are the release's sentences (train + validation + test) repeated to each size, written as
JSONL; each figure is the wall time of one command in a fresh process (loading included). The
command runs this checkout's code with this interpreter (``python -m privacy_incidents.cli``),
so a worktree measures itself, not whatever the venv's editable install points to.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from privacy_incidents.baselines import read_split  # noqa: E402

COMMAND = [sys.executable, "-m", "privacy_incidents.cli", "--root", str(ROOT)]
ENVIRONMENT = os.environ | {"PYTHONPATH": str(ROOT)}
BASELINES = "tfidf_svm_v1,tfidf_logreg_v1,char_svm_v1,complement_nb_v1,crf_v1"
CRF_UP_TO = 20_000  # the CRF is measured up to this size (it is an order of magnitude slower)


def timed_command(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(COMMAND + args, check=True, capture_output=True, env=ENVIRONMENT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--evaluate", action="store_true")
    parser.add_argument("--sizes", default="4478,20000,100000")
    parser.add_argument("--baselines", default=BASELINES)
    parser.add_argument("--runs", type=int, default=1, help="runs of each command (the range is printed)")
    args = parser.parse_args()
    texts = [t for split in ("train", "validation", "test") for t in read_split(ROOT / "dataset", split).texts]
    with tempfile.TemporaryDirectory() as scratch:
        for size in (int(s) for s in args.sizes.split(",")):
            data = Path(scratch) / f"in-{size}.jsonl"
            rows = (texts * (size // len(texts) + 1))[:size]
            data.write_text("".join(json.dumps({"id": f"s{i}", "text": t}) + "\n" for i, t in enumerate(rows)))
            for baseline in args.baselines.split(","):
                if baseline == "crf_v1" and size > CRF_UP_TO:
                    continue
                command = ["predict", "--baseline", baseline, "--input", str(data), "--output", str(Path(scratch) / "out.jsonl")]
                seconds = sorted(timed_command(command) for _ in range(args.runs))
                rates = f"{size / seconds[-1]:>9,.0f}" + (f"–{size / seconds[0]:,.0f}" if args.runs > 1 else "")
                times = f"{seconds[0]:6.2f}" + (f"–{seconds[-1]:.2f}" if args.runs > 1 else "")
                print(f"predict {baseline:<16} {size:>7,} sentences {times} s  {rates} sentences/s", flush=True)
    if args.evaluate:
        seconds = timed_command(["evaluate", "--all"])
        print(f"evaluate --all (transfer included) {seconds:6.1f} s")


if __name__ == "__main__":
    main()
