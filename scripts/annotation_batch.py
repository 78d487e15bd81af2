"""Batches for annotators who read: write one from the built release, and check what comes back.

The briefs in ``cards/briefs/`` tell an annotator what to do with a batch; this script makes
the batch and is the checker they run. Import the checked output with
``scripts/import_annotation_batches.py``.

    # a batch of given incidents (ids as arguments, or one a line on stdin)
    .venv/bin/python scripts/annotation_batch.py make work/gdpr-1 gdprhub-AEPD_Spain_-_EXP202100639 ...
    # -> work/gdpr-1.txt (numbered sentences, for reading) and work/gdpr-1.jsonl (the exact texts)
    .venv/bin/python scripts/annotation_batch.py check work/gdpr-1.jsonl work/gdpr-1.P.jsonl

``check`` prints every problem with its output line (a quote not in the text, an ambiguous
quote without ``occurrence``, overlapping spans, a span across sentences, an unknown type) and
the incidents still missing, and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from privacy_incidents.align import place_spans
from privacy_incidents.layout import parquet_path
from privacy_incidents.project import find_project, using
from privacy_incidents.schema import SPLITS, SpanAnnotation


def release_texts(root: Path, ids: list[str]) -> list[dict]:
    """Each incident's text and sentence offsets from the built release, in the order of ``ids``."""
    import pandas as pd

    dataset = find_project(root).dataset
    articles = pd.concat([pd.read_parquet(dataset / parquet_path("articles", s)) for s in SPLITS]).set_index("incident_id")
    columns = ["incident_id", "sentence_index", "start", "end"]
    sentences = pd.concat([pd.read_parquet(dataset / parquet_path("sentences", s), columns=columns) for s in SPLITS])
    unknown = sorted(set(ids) - set(articles.index))
    if unknown:
        raise SystemExit(f"error: not in the built release: {', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''}")
    bounds = {i: g.sort_values("sentence_index")[["start", "end"]].values.tolist() for i, g in sentences[sentences.incident_id.isin(ids)].groupby("incident_id")}
    return [{"incident_id": i, "title": articles.at[i, "title"], "text": articles.at[i, "text"], "sentences": bounds[i]} for i in ids]


def reading_view(batch: list[dict]) -> str:
    """The batch as annotators read it: a header per incident, then its numbered sentences."""
    parts = []
    for incident in batch:
        text = incident["text"]
        lines = [f"=== {incident['incident_id']} | {incident['title']}"]
        lines += [f"[{n}] {text[start:end]}" for n, (start, end) in enumerate(incident["sentences"])]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def problems_of(batch: dict[str, dict], output_lines: list[str]) -> list[str]:
    """Every problem of an annotator's output against its batch, and the incidents still missing (pure)."""
    problems, seen = [], set()
    for number, line in enumerate(output_lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            incident_id = record["incident_id"]
            if incident_id not in batch:
                raise ValueError(f"incident {incident_id!r} is not in this batch")
            if incident_id in seen:
                raise ValueError(f"incident {incident_id} appears twice")
            seen.add(incident_id)
            spans = [SpanAnnotation(**span) for span in record["spans"]]
        except (ValueError, KeyError, TypeError, ValidationError) as error:
            problems.append(f"line {number}: {type(error).__name__}: {error}".replace("\n", " "))
            continue
        text, bounds = batch[incident_id]["text"], batch[incident_id]["sentences"]
        placed, errors = place_spans(text, spans)
        problems += [f"line {number} ({incident_id}): {error}" for error in errors]
        problems += [
            f"line {number} ({incident_id}): span {text[span.start:span.end]!r} crosses a sentence boundary"
            for span in placed if not any(start <= span.start and span.end <= end for start, end in bounds)
        ]
    missing = [i for i in batch if i not in seen]
    if missing:
        problems.append(f"{len(missing)} incident(s) of the batch not yet in the output, first: {', '.join(missing[:5])}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path("."))
    verbs = parser.add_subparsers(dest="verb", required=True)
    make = verbs.add_parser("make", help="write BATCH.txt and BATCH.jsonl for the given incident ids")
    make.add_argument("batch", type=Path, help="the batch's path without extension")
    make.add_argument("ids", nargs="*")
    check = verbs.add_parser("check", help="check an annotator's output against its batch")
    check.add_argument("batch", type=Path, help="BATCH.jsonl")
    check.add_argument("output", type=Path)
    args = parser.parse_args()
    with using(args.root):
        if args.verb == "make":
            ids = args.ids or [line.strip() for line in sys.stdin if line.strip()]
            batch = release_texts(args.root, ids)
            args.batch.with_suffix(".jsonl").write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in batch), encoding="utf-8")
            args.batch.with_suffix(".txt").write_text(reading_view(batch), encoding="utf-8")
            print(f"wrote {args.batch}.txt and .jsonl: {len(batch)} incidents")
            return 0
        batch = {i["incident_id"]: i for i in map(json.loads, args.batch.read_text(encoding="utf-8").splitlines())}
        problems = problems_of(batch, args.output.read_text(encoding="utf-8").split("\n"))
        print("\n".join(problems + [f"{len(batch)} incidents in the batch, {len(problems)} problem(s)"]))
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
