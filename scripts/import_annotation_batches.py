"""Turn annotation batches (JSONL, one incident a line) into seed annotation files, for any source.

This is how batch annotations enter the project: annotators write one JSONL file per batch
(format: {"incident_id", "spans": [{"quote", "element", "type", "occurrence"?}], "note"?}); every
line is validated through the same models and alignment as the build before anything is written,
and nothing is written when any line is invalid. Each file goes where the incident's source keeps
its labels (``--agreement``: the source's ``agreement/`` folder, for a blind second annotation).

``--second-reading``: the batch is a full second reading of incidents that are already gold (the
reader saw the first annotation and corrected it). The first annotator is kept, the reader is
recorded as ``reviewer`` with ``review: full``, and the spans are the reader's list. Extra fields
of a line (a verdict, ``changed``) are kept in the batch file, which is committed beside the labels.

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
from privacy_incidents.seedfiles import dump_annotations, load_annotations
from privacy_incidents.sources import AGREEMENT_FOLDER

HEADER = "# Imported by scripts/import_annotation_batches.py from the batch {batch}.\n"
KIND_WORDS = {"person": "a person", "model": "a language-model annotation agent"}


def annotation_file(record: dict, incident, args: argparse.Namespace) -> AnnotationFile:
    """The seed file of one batch line; raises ValueError when a span does not validate or place."""
    (article,) = incident.articles  # batch annotation is for single-text incidents
    spans = [SpanAnnotation(**span) for span in record["spans"]]
    _, problems = place_spans(article.normalized.text, spans)
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    if args.second_reading:
        if not incident.annotation_path.exists():
            raise ValueError(f"{incident.incident_id} has no annotation file: a second reading is of gold labels")
        first = load_annotations(incident.annotation_path)
        if first.status != "gold":
            raise ValueError(f"{incident.annotation_path} is {first.status}: a second reading is of gold labels")
        who = {"annotator": first.annotator, "annotator_kind": first.annotator_kind,
               "reviewer": f"{args.annotator} ({KIND_WORDS[args.annotator_kind]}; a second reading of every span under guidelines {args.guideline_version})",
               "review": "full"}
    else:
        provenance = {"reviewer": args.reviewer, "review": args.review} if args.review != "none" else {"review": "none"}
        who = {"annotator": args.annotator, "annotator_kind": args.annotator_kind, **provenance}
    return AnnotationFile(
        incident_id=incident.incident_id, status="gold", guideline_version=args.guideline_version,
        articles=[ArticleAnnotations(article_id=article.article_id, spans=spans)], **who,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("batches", nargs="+", type=Path)
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--annotator", required=True)
    parser.add_argument("--annotator-kind", choices=["person", "model"], required=True)
    parser.add_argument("--review", choices=["full", "sample", "none"])
    parser.add_argument("--second-reading", action="store_true",
                        help="a full second reading of gold labels: the first annotator is kept, --annotator becomes the reviewer")
    parser.add_argument("--reviewer")
    parser.add_argument("--agreement", action="store_true", help="a blind second annotation, for the agreement study")
    parser.add_argument("--guideline-version", default=GUIDELINE_VERSION)
    args = parser.parse_args()
    if args.second_reading and (args.review or args.reviewer or args.agreement):
        parser.error("--second-reading records the review itself: give no --review, --reviewer or --agreement")
    if not args.second_reading and not args.review:
        parser.error("give --review (full, sample or none), or --second-reading")
    if args.review in ("full", "sample") and not args.reviewer:
        parser.error("--review full or sample needs --reviewer")
    incidents = {i.incident_id: i for i in collect(args.root).incidents}
    files, problems, repeats = {}, [], []
    for batch in args.batches:
        for number, line in enumerate(batch.read_text(encoding="utf-8").split("\n"), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                incident = incidents[record["incident_id"]]
                if incident.labels_from:  # a repeat filing: its labels are read from its first filing's file
                    repeats.append(f"{batch}:{number}: {incident.incident_id} (labels from {incident.labels_from})")
                    continue
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
    if repeats:
        print(f"skipped {len(repeats)} repeat filing(s), labelled by their first filing:\n  " + "\n  ".join(repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
