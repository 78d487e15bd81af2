"""Turn annotation batches (JSONL, one incident a line) into seed annotation files, for any source.

This is how batch annotations enter the project: annotators write one JSONL file per batch
(format: {"incident_id", "spans": [{"quote", "element", "type", "occurrence"?}], "note"?}); every
line is validated through the same models and alignment as the build before anything is written,
and nothing is written when any line is invalid. Each file goes where the incident's source keeps
its labels (``--agreement``: the source's ``agreement/`` folder, for a blind second annotation).

    .venv/bin/python scripts/import_annotation_batches.py --annotator annotator-I --annotator-kind model \
        --review sample --reviewer "project engineer, a language-model coding agent (validated; spot-read)" \
        batch-1.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from privacy_incidents.align import place_spans
from privacy_incidents.atomic import write_atomic
from privacy_incidents.build import collect
from privacy_incidents.schema import GUIDELINE_VERSION, AnnotationFile, ArticleAnnotations, SpanAnnotation
from privacy_incidents.seedfiles import dump_annotations
from privacy_incidents.sources import AGREEMENT_FOLDER

HEADER = "# Imported by scripts/import_annotation_batches.py from the annotator's batch {batch}.\n"


def annotation_file(record: dict, incident, args: argparse.Namespace) -> AnnotationFile:
    """The seed file of one batch line; raises ValueError when a span does not validate or place."""
    (article,) = incident.articles  # batch annotation is for single-text incidents
    spans = [SpanAnnotation(**span) for span in record["spans"]]
    _, problems = place_spans(article.normalized.text, spans)
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    provenance = {"reviewer": args.reviewer, "review": args.review} if args.review != "none" else {"review": "none"}
    return AnnotationFile(
        incident_id=incident.incident_id, status="gold", annotator=args.annotator, annotator_kind=args.annotator_kind,
        guideline_version=args.guideline_version, articles=[ArticleAnnotations(article_id=article.article_id, spans=spans)],
        **provenance,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("batches", nargs="+", type=Path)
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--annotator", required=True)
    parser.add_argument("--annotator-kind", choices=["person", "model"], required=True)
    parser.add_argument("--review", choices=["full", "sample", "none"], required=True)
    parser.add_argument("--reviewer")
    parser.add_argument("--agreement", action="store_true", help="a blind second annotation, for the agreement study")
    parser.add_argument("--guideline-version", default=GUIDELINE_VERSION)
    args = parser.parse_args()
    if args.review != "none" and not args.reviewer:
        parser.error("--review full or sample needs --reviewer")
    incidents = {i.incident_id: i for i in collect(args.root).incidents}
    files, problems = {}, []
    for batch in args.batches:
        for number, line in enumerate(batch.read_text(encoding="utf-8").split("\n"), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                incident = incidents[record["incident_id"]]
                annotations = annotation_file(record, incident, args)
            except (ValueError, KeyError, TypeError) as error:
                problems.append(f"{batch}:{number}: {error}")
                continue
            target = incident.annotation_path
            if args.agreement:
                target = target.parent.parent / AGREEMENT_FOLDER / target.name
            files[target] = HEADER.format(batch=batch.name) + dump_annotations(annotations)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"{len(problems)} problem(s); nothing was written", file=sys.stderr)
        return 1
    for target, text in sorted(files.items()):
        write_atomic(target, text)
    print(f"wrote {len(files)} annotation files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
