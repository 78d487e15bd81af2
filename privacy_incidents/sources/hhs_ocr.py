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
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if tuple(header) != COLUMNS:
            raise ValueError(f"{path}: header {header} is not the expected {list(COLUMNS)}")
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
