"""Adapter for GDPRhub's English case summaries (``seeds/gdprhub/gdprhub-summaries.jsonl``, CC BY-NC-SA 4.0).

One line, one decision of a European data protection authority or court. The text of an
incident is the headline, the Facts and the Holding (Markdown, parsed with markdown-it-py:
links keep their words). Cases about data-subject rights or procedure are out of scope, as
``scope.jsonl`` records per case (decided by reading the headline and the Facts). The texts
are non-commercial (``commercial_use: false``): ``build --commercial-only`` leaves them out.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ..normalize import text_key
from ..seedfiles import SeedError, SeedErrors
from . import (
    IncidentInput, SourceRead, annotation_file, decision_for, licence_meta, make_article, out_of_scope, read_scope,
    safe_id, unique_ids,
)

RAW_FILE = "gdprhub-summaries.jsonl"
LICENSE = "CC-BY-NC-SA-4.0"
REQUIRED = ("case_id", "title", "url", "authority", "facts")  # 10 cases have no headline
KEPT_FIELDS = ("case_id", "authority", "kind", "jurisdiction", "relevant_law", "type", "outcome", "started", "decided",
               "published", "fine", "parties", "original_language", "contributor", "url", "snapshot")


def _iso(value: str | None) -> str | None:
    """GDPRhub writes dates as DD.MM.YYYY."""
    try:
        return dt.datetime.strptime(value, "%d.%m.%Y").date().isoformat() if value else None
    except ValueError:
        return None


def read_lines(path: Path) -> list[tuple[int, dict]]:
    """Every case with its line number; a line that is not JSON, or lacks Facts, names its line."""
    if not path.exists():
        raise SeedError(path, "file not found: the GDPRhub summaries are kept here unchanged (see PROVENANCE.md)")
    cases, errors = [], []
    # split("\n"), not splitlines(): U+2028 and friends occur inside the JSON strings.
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as error:
            errors.append(SeedError(path, f"not a JSON object: {error.msg} (column {error.colno})", number))
            continue
        missing = [f for f in REQUIRED if not isinstance(case, dict) or not (case.get(f) or "").strip()]
        if missing:
            errors.append(SeedError(path, f"case {case.get('case_id') if isinstance(case, dict) else '?'} has no {', '.join(missing)}; every case needs {', '.join(REQUIRED)}", number))
            continue
        cases.append((number, case))
    if errors:
        raise SeedErrors(errors)
    return cases


def case_text(case: dict) -> str:
    """Headline, Facts and Holding as one Markdown document (the order GDPRhub gives them)."""
    parts = (case.get("headline") or "", case["facts"], case.get("holding") or "")
    return "\n\n".join(part.strip() for part in parts if part.strip())


def read(source_id: str, folder: Path) -> SourceRead:
    path = folder / RAW_FILE
    cases = read_lines(path)
    unique_ids([safe_id(source_id, case["case_id"]) for _, case in cases], path)
    decisions = read_scope(folder)
    read = SourceRead([])
    first_with_text: dict[str, str] = {}
    for _, case in cases:
        decision = decision_for(decisions, case["case_id"], folder)
        name = f"{case['title']} ({case['parties']})" if case.get("parties") else case["title"]
        if not decision.in_scope:
            read.out_of_scope.append(out_of_scope(source_id, decision, name))
            continue
        incident_id = safe_id(source_id, case["case_id"])
        # GDPRhub has some summaries under two case pages: one text, one set of labels, one split.
        first = first_with_text.setdefault(text_key(case_text(case)), incident_id)
        duplicate_of = None if first == incident_id else first
        meta = licence_meta(
            title=case["title"], publisher=f"GDPRhub (noyb), summary by {case.get('contributor') or 'a GDPRhub contributor'}",
            url=case["url"], published=None, retrieved="2025-10-25", license=LICENSE,
            attribution=f"GDPRhub, {case['url']}, CC BY-NC-SA 4.0; segmented and annotated by privacy-incidents",
            redistributable=True, commercial_use=False,
        )
        read.incidents.append(
            IncidentInput(
                incident_id=incident_id,
                source=source_id,
                title=name[:300],
                date=_iso(case.get("decided")),
                summary=(case.get("headline") or "").strip(),
                articles=[make_article(incident_id, case_text(case), meta, path, profile="markdown")],
                annotation_path=annotation_file(folder, first),
                split_group=first,
                labels_from=duplicate_of,
                extra={
                    **{f: case.get(f) for f in KEPT_FIELDS},
                    "duplicate_of": duplicate_of,
                    "organisation": case.get("parties"),
                    "scope_category": decision.category,
                },
            )
        )
    return read
