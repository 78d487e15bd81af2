"""Adapter for Have I Been Pwned's breach list (``seeds/hibp/HaveIBeenPwned.json``, CC BY 4.0).

One entry, one incident ``hibp-<dump_name>``: HIBP's short description (HTML; text extracted with
lxml, entities decoded, links kept as their words), with the record count and dates. Spam lists
and fabricated collections are out of scope, as ``scope.jsonl`` records per entry (decided by
reading each description).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..seedfiles import SeedError
from . import (
    IncidentInput, SourceRead, annotation_file, decision_for, licence_meta, make_article, out_of_scope, read_scope,
    safe_id, unique_ids,
)

RAW_FILE = "HaveIBeenPwned.json"
LICENSE = "CC-BY-4.0"
ATTRIBUTION = "Have I Been Pwned (https://haveibeenpwned.com), breach descriptions, CC BY 4.0"
FIELDS = ("dump_name", "record_count", "breach_date", "index_date", "description")


def _entries(path: Path) -> list[dict]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeedError(path, "file not found: HIBP's breach list is kept here unchanged (see PROVENANCE.md)") from None
    except json.JSONDecodeError as error:
        raise SeedError(path, f"not valid JSON: {error.msg}", error.lineno) from None
    if not isinstance(entries, list):
        raise SeedError(path, "expected a JSON list of breaches", 1)
    for number, entry in enumerate(entries, start=1):
        missing = [f for f in FIELDS if not isinstance(entry, dict) or entry.get(f) in (None, "")]
        if missing:
            raise SeedError(path, f"breach {number} ({entry.get('dump_name') if isinstance(entry, dict) else entry!r}) has no {', '.join(missing)}; every breach needs {', '.join(FIELDS)}")
    return entries


def read(source_id: str, folder: Path) -> SourceRead:
    path = folder / RAW_FILE
    entries = _entries(path)
    unique_ids([safe_id(source_id, e["dump_name"]) for e in entries], path)
    decisions = read_scope(folder)
    read = SourceRead([])
    for entry in entries:
        decision = decision_for(decisions, entry["dump_name"], folder)
        if not decision.in_scope:
            read.out_of_scope.append(out_of_scope(source_id, decision, entry["dump_name"]))
            continue
        incident_id = safe_id(source_id, entry["dump_name"])
        meta = licence_meta(
            title=f"Have I Been Pwned: {entry['dump_name']}", publisher="Have I Been Pwned (Troy Hunt)",
            url=f"https://haveibeenpwned.com/PwnedWebsites#{entry['dump_name']}", published=entry["index_date"][:10],
            retrieved="2026-08-08", license=LICENSE, attribution=ATTRIBUTION, redistributable=True, commercial_use=True,
        )
        read.incidents.append(
            IncidentInput(
                incident_id=incident_id,
                source=source_id,
                title=entry["dump_name"],
                date=entry["breach_date"],
                summary="",
                articles=[make_article(incident_id, entry["description"], meta, path, profile="html_fragment")],
                annotation_path=annotation_file(folder, incident_id),
                split_group=incident_id,
                extra={
                    "organisation": entry["dump_name"],
                    "records_affected": int(entry["record_count"]),
                    "breach_date": entry["breach_date"],
                    "index_date": entry["index_date"],
                    "url": meta["url"],
                    "scope_category": decision.category,
                },
            )
        )
    return read
