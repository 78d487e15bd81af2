"""Adapter for the HHS OCR breach report archive (``seeds/hhs-ocr/breach_report_archive.csv``).

Each data row with a narrative becomes one incident ``hhs-ocr-NNNN`` (NNNN is the 1-based
record number in the committed, unchanged CSV, so ids are stable). Rows whose narrative is
the same as an earlier row's, up to case and white space, are kept as incidents of their own,
with ``duplicate_of`` naming the first row: their filings differ (entity, state, date) but their
text and so their labels are one, and the split puts the whole group on one side.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..normalize import text_key
from ..seedfiles import SeedError, SeedErrors
from . import IncidentInput, SourceRead, annotation_file, licence_meta, make_article

CSV_FILE = "breach_report_archive.csv"

COLUMNS = (
    "name_of_covered_entity",
    "state",
    "covered_entity_type",
    "individuals_affected",
    "breach_submission_date",
    "type_of_breach",
    "location_of_breached_information",
    "business_associate_present",
    "web_description",
)
NULL = "\\N"
SOURCE_ID = "hhs-ocr"
LICENSE = "public-domain-us-gov"
LICENSE_BASIS = (
    "Written by staff of the US Department of Health and Human Services, Office for Civil "
    "Rights; works of the US federal government are not subject to copyright (17 U.S.C. § 105)."
)
PUBLISHER = "US Department of Health and Human Services, Office for Civil Rights"
URL = "https://ocrportal.hhs.gov/ocr/breach/breach_report.jsf"
# Date of the copy we took (the source repository's commit, see seeds/hhs-ocr/PROVENANCE.md).
RETRIEVED = "2025-12-26"


@dataclass(frozen=True)
class OcrRecord:
    incident_id: str
    record_number: int
    line_number: int
    fields: dict[str, str | None]
    narrative: str
    duplicate_of: str | None = None


@dataclass(frozen=True)
class RowProblem:
    line_number: int
    message: str


def incident_id_for(record_number: int) -> str:
    """The stable id of a data record.

    >>> incident_id_for(7)
    'hhs-ocr-0007'
    """
    return f"{SOURCE_ID}-{record_number:04d}"


def _clean_field(value: str) -> str | None:
    value = value.strip()
    return None if value in ("", NULL) else value


def _iter_rows(path: Path) -> Iterator[tuple[int, int, list[str]]]:
    if not path.exists():
        raise SeedError(path, "file not found: the OCR archive is kept here unchanged (see PROVENANCE.md)")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        if tuple(header) != COLUMNS:
            raise SeedError(path, f"header {header} is not the expected {list(COLUMNS)}", 1)
        for record_number, row in enumerate(reader, start=1):
            yield record_number, reader.line_num, row


def read_archive(path: Path) -> tuple[list[OcrRecord], list[RowProblem]]:
    """Read the archive: records with a narrative, and the rows that could not be used."""
    records: list[OcrRecord] = []
    problems: list[RowProblem] = []
    first_with_text: dict[str, str] = {}
    for record_number, line_number, row in _iter_rows(path):
        if len(row) != len(COLUMNS):
            problems.append(
                RowProblem(line_number, f"malformed row with {len(row)} fields, expected {len(COLUMNS)}: {row!r}")
            )
            continue
        fields = {name: _clean_field(value) for name, value in zip(COLUMNS, row)}
        narrative = fields.pop("web_description")
        if narrative is None:
            continue
        incident_id = incident_id_for(record_number)
        duplicate_of = first_with_text.setdefault(text_key(narrative), incident_id)
        records.append(
            OcrRecord(
                incident_id=incident_id,
                record_number=record_number,
                line_number=line_number,
                fields=fields,
                narrative=narrative,
                duplicate_of=None if duplicate_of == incident_id else duplicate_of,
            )
        )
    return records, problems


def _split_list(value: str | None) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()] if value else []


def _count(value: str | None, path: Path, line: int) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise SeedError(path, f"individuals_affected {value!r} is not a whole number (or empty, or \\N for unknown)", line) from None


def incident_of(record: OcrRecord, path: Path, folder: Path) -> IncidentInput:
    fields = record.fields
    title = f"HHS OCR breach report: {fields['name_of_covered_entity']}"
    meta = licence_meta(
        title=title, publisher=PUBLISHER, url=URL, retrieved=RETRIEVED, license=LICENSE,
        attribution="US Department of Health and Human Services, Office for Civil Rights, breach portal",
        redistributable=True, commercial_use=True, notes=LICENSE_BASIS,
    )
    article = make_article(record.incident_id, record.narrative, meta, path)
    affected = _count(fields["individuals_affected"], path, record.line_number)
    # Repeat filings share the first filing's labels: the text, so the labels, are one.
    label_id = record.duplicate_of or record.incident_id
    return IncidentInput(
        incident_id=record.incident_id,
        source=SOURCE_ID,
        title=title,
        date=fields["breach_submission_date"],
        summary="",
        articles=[article],
        annotation_path=annotation_file(folder, label_id),
        split_group=label_id,
        labels_from=record.duplicate_of,
        extra={
            "duplicate_of": record.duplicate_of,
            "organisation": fields["name_of_covered_entity"],
            "covered_entity": fields["name_of_covered_entity"],
            "covered_entity_type": fields["covered_entity_type"],
            "sector": "health",
            "jurisdiction": "United States" + (f" ({fields['state']})" if fields["state"] else ""),
            "state": fields["state"],
            "individuals_affected": affected,
            "records_affected": affected,  # the column every source fills
            "breach_submission_date": fields["breach_submission_date"],
            "type_of_breach": _split_list(fields["type_of_breach"]),
            "location_of_breached_information": _split_list(fields["location_of_breached_information"]),
            "business_associate_present": fields["business_associate_present"] == "true",
        },
    )


def read(source_id: str, folder: Path) -> SourceRead:
    """Incidents of the archive; malformed rows are skipped with a warning (erratum E1)."""
    path = folder / CSV_FILE
    records, problems = read_archive(path)
    incidents, errors = [], []
    for record in records:
        try:
            incidents.append(incident_of(record, path, folder))
        except SeedError as error:
            errors.append(error)
    if errors:
        raise SeedErrors(errors)
    return SourceRead(incidents, warnings=[f"{path}:{p.line_number}: {p.message} (skipped)" for p in problems])
