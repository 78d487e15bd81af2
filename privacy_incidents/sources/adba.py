"""Adapter for the Australian Data Breach Archive (``seeds/adba/breaches/<year>/<date>-<slug>.md``, CC BY 4.0).

One file, one incident ``adba-<date>-<slug>``. The TOML front matter between ``+++`` lines is
parsed with ``tomllib`` and kept on the incident (sector, severity, data types, attack vector,
status, impact figures, URLs); the Markdown body is parsed with markdown-it-py, its section
headings ("What Happened", ...) dropped as structure. Entries with no personal data involved
(outages, DNS hijacks) are out of scope per ``scope.jsonl``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..seedfiles import SeedError, SeedErrors, read_text_file
from . import (
    IncidentInput, SourceRead, annotation_file, decision_for, licence_meta, make_article, out_of_scope, read_scope,
    safe_id,
)

RAW_FOLDER = "breaches"
LICENSE = "CC-BY-4.0"
ATTRIBUTION = "Australian Data Breach Archive (https://codeberg.org/adba/adba), CC BY 4.0; segmented and annotated by privacy-incidents"
FENCE = "+++"


def split_front_matter(text: str, path: Path) -> tuple[dict, str]:
    """TOML front matter and Markdown body; a missing fence or bad TOML names the file and line."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        raise SeedError(path, f"no TOML front matter: the file must start with a line {FENCE}", 1)
    try:
        end = next(n for n, line in enumerate(lines[1:], start=1) if line.strip() == FENCE)
    except StopIteration:
        raise SeedError(path, f"the front matter is not closed: no second {FENCE} line", 1) from None
    try:
        front = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as error:
        # Python 3.11's error has no line attribute; its message ends "(at line N, column M)".
        found = re.search(r"at line (\d+)", str(error))
        line = int(found.group(1)) + 1 if found else None  # + 1: the front matter starts after the fence
        raise SeedError(path, f"malformed TOML front matter: {error}", line) from None
    if not front.get("title"):
        raise SeedError(path, "the front matter has no title (the organisation)", 2)
    return front, "\n".join(lines[end + 1:])


def incident_of(source_id: str, path: Path, folder: Path, front: dict, body: str, category: str | None) -> IncidentInput:
    extra = front.get("extra", {})
    impact = extra.get("impact", {})
    incident_id = safe_id(source_id, path.stem)
    meta = licence_meta(
        title=front["title"], publisher="Australian Data Breach Archive", url=extra.get("source_url"),
        published=None, retrieved="2026-01-15", license=LICENSE, attribution=ATTRIBUTION,
        redistributable=True, commercial_use=True,
        notes=f"{path.relative_to(folder).as_posix()} at commit 0175261c6facab6d0bee049dd41cad710c08fa9a of the archive",
    )
    records = impact.get("affected_individuals") or impact.get("record_count") or None
    return IncidentInput(
        incident_id=incident_id,
        source=source_id,
        title=front["title"],
        date=str(front["date"]) if front.get("date") else None,
        summary=front.get("description") or "",
        articles=[make_article(incident_id, body, meta, path, profile="markdown_body")],
        annotation_path=annotation_file(folder, incident_id),
        split_group=incident_id,
        extra={
            "organisation": front["title"],
            "sector": ", ".join(front.get("taxonomies", {}).get("sector", [])) or None,
            "jurisdiction": "Australia",
            "severity": extra.get("severity"),
            "data_types": list(extra.get("data_types", [])),
            "attack_vector": extra.get("attack_vector"),
            "official_status": extra.get("official_status"),
            "records_affected": int(records) if records else None,
            "url": extra.get("source_url"),
            "archive_link": extra.get("archive_link"),
            "impact": impact,
            "threat_actor": extra.get("threat_actor", {}).get("name"),
            "scope_category": category,
        },
    )


def read(source_id: str, folder: Path) -> SourceRead:
    files = sorted((folder / RAW_FOLDER).rglob("*.md"))
    if not files:
        raise SeedError(folder / RAW_FOLDER, "no entries (*.md) found; the archive's breach files are kept here unchanged")
    decisions = read_scope(folder)
    read, errors = SourceRead([]), []
    for path in files:
        try:
            front, body = split_front_matter(read_text_file(path), path)
            key = path.relative_to(folder / RAW_FOLDER).as_posix()
            decision = decision_for(decisions, key, folder)
            if decision.in_scope:
                read.incidents.append(incident_of(source_id, path, folder, front, body, decision.category))
            else:
                read.out_of_scope.append(out_of_scope(source_id, decision, front["title"]))
        except SeedError as error:
            errors.append(error)
    if errors:
        raise SeedErrors(errors)
    return read
