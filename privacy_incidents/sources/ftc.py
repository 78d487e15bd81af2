"""Adapter for US FTC privacy complaints (``seeds/ftc/*_complaint.md``, public domain).

One complaint, one incident ``ftc-<name>``. The Markdown was converted from PDF: the normaliser's
``pdf_markdown`` profile removes page headers and numbers, ``**12.**`` paragraph numbers and
footnote marks, logging each. A complaint is split into sections at its headings, and only the
sections that state the incident are kept: caption, jurisdiction and parties, statutes and
definitions, counts and relief are out, each section's decision recorded in ``scope.jsonl`` (key
``<file>:<heading line>``; ``<file>:0`` is the text before the first heading).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..normalize import Fix, normalize_cached
from ..seedfiles import SeedError, SeedErrors, read_text_file
from . import ArticleInput, IncidentInput, SourceRead, annotation_file, decision_for, licence_meta, out_of_scope, read_scope

PATTERN = "*_complaint.md"
HEADING = re.compile(r"^#{1,6}\s")
LICENSE = "public-domain-us-gov"
# What the provenance note says of each case: the organisation, the press-release date, the kind of incident.
CASES = {
    "avast": ("Avast", "2024-02-22", "unlawful_processing"),
    "betterhelp": ("BetterHelp", "2023-03-02", "disclosure"),
    "blackbaud": ("Blackbaud", "2024-02-01", "breach"),
    "bytedance": ("ByteDance and TikTok", "2024-08-02", "unlawful_processing"),
    "cerebral": ("Cerebral", "2024-04-15", "disclosure"),
    "edmodo": ("Edmodo", "2023-05-22", "unlawful_processing"),
    "goodrx": ("GoodRx", "2023-02-01", "disclosure"),
    "inmarket": ("InMarket Media", "2024-01-18", "monitoring"),
    "monument": ("Monument", "2024-04-11", "disclosure"),
    "ngl": ("NGL Labs", "2024-07-09", "unlawful_processing"),
    "premom": ("Easy Healthcare (Premom)", "2023-05-17", "disclosure"),
    "response_tree": ("Response Tree", "2024-01-02", "marketing"),
    "thurthfinder": ("TruthFinder and Instant Checkmate", "2023-09-11", "unlawful_processing"),
    "twitter": ("Twitter", "2022-05-25", "unlawful_processing"),
    "xmode": ("X-Mode Social (Outlogic)", "2024-01-09", "monitoring"),
}


def sections(text: str) -> list[tuple[int, str]]:
    """``(heading line, section text)`` in order; line 0 is the text before the first heading.

    >>> [line for line, _ in sections("caption\\n# A\\nbody\\n## B\\nmore")]
    [0, 2, 4]
    """
    found, start, current = [], 0, []
    for number, line in enumerate(text.split("\n"), start=1):
        if HEADING.match(line):
            found.append((start, "\n".join(current)))
            start, current = number, []
        current.append(line)
    found.append((start, "\n".join(current)))
    return found


def read(source_id: str, folder: Path) -> SourceRead:
    decisions = read_scope(folder)
    read, errors = SourceRead([]), []
    for path in sorted(folder.glob(PATTERN)):
        name = path.name.removesuffix("_complaint.md")
        try:
            if name not in CASES:
                raise SeedError(path, f"no entry for {name!r} in the adapter's CASES (organisation, date, kind); known: {', '.join(CASES)}")
            organisation, date, category = CASES[name]
            raw = read_text_file(path)
            kept, left = [], 0
            for line, text in sections(raw):
                decision = decision_for(decisions, f"{path.name}:{line}", folder)
                if decision.in_scope:
                    kept.append(text)
                else:
                    left += 1
                    read.out_of_scope.append(out_of_scope(source_id, decision, f"{organisation}: {decision.note}"))
            normalized = normalize_cached("\n\n".join(kept), "pdf_markdown")
            if not normalized.text.strip():
                raise SeedError(path, "no text left: every section is out of scope or empty after normalisation")
            normalized.fixes.insert(0, Fix("out_of_scope_sections", f"{left} section(s) left out (see scope.jsonl)"))
            incident_id = f"{source_id}-{name.replace('_', '-')}"
            meta = licence_meta(
                title=f"FTC complaint against {organisation}", publisher="US Federal Trade Commission", url=None,
                published=date, retrieved="2026-02-01", license=LICENSE, attribution="US Federal Trade Commission",
                redistributable=True, commercial_use=True,
                notes="A work of the US federal government (17 U.S.C. § 105); Markdown converted from the PDF by the "
                      "olblinov/privacy-engineering-toolkit repository (commit 8d85f38).",
            )
            read.incidents.append(
                IncidentInput(
                    incident_id=incident_id, source=source_id, title=organisation, date=date, summary="",
                    articles=[ArticleInput(incident_id, raw, meta, normalized, path)],
                    annotation_path=annotation_file(folder, incident_id), split_group=incident_id,
                    extra={"organisation": organisation, "jurisdiction": "United States",
                           "authority": "US Federal Trade Commission", "scope_category": category},
                )
            )
        except SeedError as error:
            errors.append(error)
    if errors:
        raise SeedErrors(errors)
    if not read.incidents:
        raise SeedError(folder, f"no complaints ({PATTERN}) found")
    return read
