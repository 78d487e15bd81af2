"""Speed of building the grown release, printed as figures (not a test).

    .venv/bin/python benchmarks/build.py

Measures, on a copy of the project (so the project's own cache is not touched):
- a cold full rebuild (no cache: every text normalised, suggested, segmented), by stage;
- a rebuild with the cache (texts unchanged since the last build);
- `new`: one article into the grown project, then the rebuild after it;
- how the cold cost of rows (segment + align) grows with the number of sentences.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from privacy_incidents.build import build_to, collect, make_rows  # noqa: E402
from privacy_incidents.extend import add_incident  # noqa: E402
from privacy_incidents.project import using  # noqa: E402
from privacy_incidents.segment import SegmentCache  # noqa: E402


def timed(label: str, function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"{label:<60} {seconds:8.2f} s", flush=True)
    return value, seconds


def copy_project(target: Path) -> Path:
    for folder in ("schemas", "cards", "baselines", "seeds", "dataset"):
        shutil.copytree(ROOT / folder, target / folder, ignore=shutil.ignore_patterns("models"))
    return target


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        project = copy_project(Path(scratch) / "project")
        print("== cold: no cache")
        collected, _ = timed("collect: read, normalise, suggest silver (no cache)", collect, project, use_cache=False)
        with using(project):
            (release, _), _ = timed("rows: segment, align, split (no cache)", make_rows, collected.incidents, collected.links, SegmentCache(None).segment)
        sentences = sum(len(rows) for rows in release["sentences"].values())
        print(f"{'  incidents / sentences':<60} {len(collected.incidents):>8,} / {sentences:,}")
        timed("whole rebuild, first time (fills the cache)", build_to, project, project / "dataset")
        print("== warm: texts unchanged")
        timed("whole rebuild with the cache", build_to, project, project / "dataset")
        print("== extend")
        article = Path(scratch) / "article.txt"
        article.write_text("A nurse at a clinic looked at the records of 300 patients without need and was fired.\n", encoding="utf-8")
        timed("new: one article into the grown project", add_incident, project, "bench-incident", article, {})
        timed("rebuild after adding one incident", build_to, project, project / "dataset")

        print("== growth: cold rows (segment + align) against sentences")
        incidents = sorted(collected.incidents, key=lambda i: i.incident_id)
        random.Random(7).shuffle(incidents)  # every size mixes the sources
        with using(project):
            for size in (500, 1000, 2000, len(incidents)):
                part = incidents[:size]
                start = time.perf_counter()
                rows, _ = make_rows(part, [], SegmentCache(None).segment)
                seconds = time.perf_counter() - start
                count = sum(len(r) for r in rows["sentences"].values())
                print(f"{f'  {size:,} incidents, {count:,} sentences':<60} {seconds:8.2f} s  ({count / seconds:,.0f} sentences/s)", flush=True)


if __name__ == "__main__":
    main()
