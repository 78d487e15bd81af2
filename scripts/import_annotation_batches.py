"""Turn annotation batches (JSONL, one incident a line) into seed annotation files.

This is how the OCR narratives' gold annotations entered the project: annotators wrote one
JSONL file per batch (format: {"incident_id", "spans": [{"quote", "element", "type",
"occurrence"?}], "note"?}); every line is validated through the same models and alignment
as the build before it is written, and nothing is written when any line is invalid.

    python scripts/import_annotation_batches.py --annotator annotator-A --reviewer lead \
        --out seeds/hhs-ocr/annotations batch-0.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from privacy_incidents.align import AlignmentError, resolve_spans
from privacy_incidents.normalize import normalize
from privacy_incidents.schema import GUIDELINE_VERSION, AnnotationFile, ArticleAnnotations, SpanAnnotation
from privacy_incidents.seedfiles import HHS_CSV, dump_annotations
from privacy_incidents.sources.hhs_ocr import read_archive


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("batches", nargs="+", type=Path)
    parser.add_argument("--annotator", required=True)
    parser.add_argument("--reviewer", required=True)
    parser.add_argument("--guideline-version", default=GUIDELINE_VERSION)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    texts = {r.incident_id: normalize(r.narrative).text for r in read_archive(HHS_CSV)[0]}
    files, problems = {}, []
    for batch in args.batches:
        for number, line in enumerate(batch.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            incident_id = record["incident_id"]
            try:
                spans = [SpanAnnotation(**span) for span in record["spans"]]
                resolve_spans(texts[incident_id], spans)
            except (AlignmentError, ValueError, KeyError) as error:
                problems.append(f"{batch}:{number}: {incident_id}: {error}")
                continue
            files[incident_id] = AnnotationFile(
                incident_id=incident_id,
                status="gold",
                annotator=args.annotator,
                reviewer=args.reviewer,
                guideline_version=args.guideline_version,
                articles=[ArticleAnnotations(article_id=incident_id, spans=spans)],
            )
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for incident_id, annotations in sorted(files.items()):
        (args.out / f"{incident_id}.yaml").write_text(dump_annotations(annotations), encoding="utf-8")
    print(f"wrote {len(files)} annotation files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
