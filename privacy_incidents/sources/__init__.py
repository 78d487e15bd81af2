"""Sources of the release: an adapter module here, its raw files under ``seeds/<folder>/``.

Sources are registered in one place, ``seeds/sources.yaml`` (id, adapter module, folder), and
``build``, ``validate``, ``suggest`` and ``new`` only iterate that list: none of them names a
source. An adapter is a module with one function::

    def read(source_id: str, folder: Path) -> SourceRead

that parses its raw files (refusing a malformed one with a ``SeedError`` naming the file and
the line or entry) and returns the incidents with their texts, provenance and licence, the
documents it decided are out of scope (each with a reason), and warnings. Labels are not the
adapter's business: the build reads ``annotation_path`` if it exists and suggests silver
labels otherwise. Adding a source = one module, its raw files, one line in ``sources.yaml``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..normalize import Normalized, normalize_cached
from ..project import Project
from ..seedfiles import SeedError, load_yaml

ANNOTATIONS_FOLDER = "annotations"
AGREEMENT_FOLDER = "agreement"
SCOPE_FILE = "scope.jsonl"


@dataclass
class ArticleInput:
    """One text of an incident: raw as stored, normalised, and its provenance (``meta``)."""

    article_id: str
    raw_text: str
    meta: dict[str, Any]
    normalized: Normalized
    path: Path


@dataclass
class IncidentInput:
    """One incident as an adapter reads it; ``annotations`` is filled in by the build."""

    incident_id: str
    source: str
    title: str
    date: str | None
    summary: str
    articles: list[ArticleInput]
    annotation_path: Path | None  # where its labels are (or would be) kept
    split_group: str  # incidents of one group always share a split
    labels_from: str | None = None  # a repeat filing reuses this incident's annotation file
    extra: dict[str, Any] = field(default_factory=dict)  # the source's structured fields
    annotations: Any = None  # AnnotationFile, set by the build

    @property
    def label_id(self) -> str:
        return self.labels_from or self.incident_id


@dataclass(frozen=True)
class OutOfScope:
    """A document a source holds that is not a privacy incident, and why (listed in the card)."""

    source: str
    key: str
    title: str
    reason: str
    note: str
    decided_by: str


@dataclass
class SourceRead:
    incidents: list[IncidentInput]
    out_of_scope: list[OutOfScope] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Registered:
    """One line of ``seeds/sources.yaml``."""

    id: str
    adapter: str
    folder: Path
    description: str


def registry(project: Project) -> list[Registered]:
    """The registered sources in build order; an unknown adapter or a bad line is a ``SeedError``."""
    path = project.sources_registry
    if not path.exists():
        raise SeedError(path, "no source registry; a project lists its sources here (id, adapter, folder)")
    raw = load_yaml(path)
    if not isinstance(raw, list):
        raise SeedError(path, "expected a list of sources, each with id, adapter, folder and description", 1)
    sources = []
    for entry in raw:
        line = entry.get("__line__") if isinstance(entry, dict) else None
        keys = {k for k in entry if k != "__line__"} if isinstance(entry, dict) else set()
        if keys != {"id", "adapter", "folder", "description"}:
            raise SeedError(path, f"each source needs exactly id, adapter, folder and description; found {sorted(keys)}", line)
        if importlib.util.find_spec(f"{__name__}.{entry['adapter']}") is None:
            raise SeedError(path, f"no adapter module privacy_incidents/sources/{entry['adapter']}.py", line)
        sources.append(Registered(entry["id"], entry["adapter"], project.seeds / entry["folder"], entry["description"]))
    return sources


def read_registered(source: Registered) -> SourceRead:
    """Run one source's adapter on its folder."""
    if not source.folder.is_dir():
        raise SeedError(source.folder, f"the folder of source {source.id!r} is missing (see seeds/sources.yaml)")
    adapter = importlib.import_module(f"{__name__}.{source.adapter}")
    return adapter.read(source.id, source.folder)


# --- helpers every adapter uses -----------------------------------------------------------------


def make_article(article_id: str, raw: str, meta: dict[str, Any], path: Path, profile: str = "plain") -> ArticleInput:
    """An article with its normalised text; an empty result is an error naming the file."""
    normalized = normalize_cached(raw, profile)
    if not normalized.text.strip():
        raise SeedError(path, f"article {article_id}: empty after normalisation (only boilerplate?)")
    return ArticleInput(article_id, raw, meta, normalized, path)


def licence_meta(
    *, title: str, publisher: str, url: str | None, license: str, attribution: str | None,
    redistributable: bool, commercial_use: bool, published: str | None = None, retrieved: str | None = None,
    notes: str | None = None,
) -> dict[str, Any]:
    """Provenance and licence of one text, in the fields of the ``articles`` config."""
    return {
        "title": title, "publisher": publisher, "url": url, "published": published, "retrieved": retrieved,
        "language": "en", "original_language": None, "machine_translated": False, "license": license,
        "attribution": attribution, "redistributable": redistributable, "commercial_use": commercial_use, "notes": notes,
    }


def annotation_file(folder: Path, incident_id: str) -> Path:
    """Where a source keeps the labels of one incident: ``seeds/<source>/annotations/<id>.yaml``."""
    return folder / ANNOTATIONS_FOLDER / f"{incident_id}.yaml"


@dataclass(frozen=True)
class ScopeDecision:
    key: str
    in_scope: bool
    category: str | None
    reason: str | None
    note: str
    decided_by: str


SCOPE_REASONS = (
    "rights_request", "procedure", "advisory", "no_incident", "spam_list", "fabricated", "no_personal_data",
    # sections of a legal filing that state no incident element
    "caption", "jurisdiction_parties", "law_definitions", "counts_relief",
)
SCOPE_CATEGORIES = ("breach", "misuse_of_access", "disclosure", "monitoring", "marketing", "unlawful_processing", "other")


def read_scope(folder: Path) -> dict[str, ScopeDecision]:
    """``seeds/<source>/scope.jsonl``: one decision a document, made by reading it."""
    path = folder / SCOPE_FILE
    if not path.exists():
        raise SeedError(path, "no scope decisions; every document of this source needs one (key, in_scope, category or reason, note, decided_by)")
    decisions: dict[str, ScopeDecision] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            decision = ScopeDecision(**record)
        except (json.JSONDecodeError, TypeError) as error:
            raise SeedError(path, f"not a scope decision ({error}); expected a JSON object with key, in_scope, category, reason, note, decided_by", number) from None
        if decision.in_scope and decision.category not in SCOPE_CATEGORIES:
            raise SeedError(path, f"category {decision.category!r} is not valid; valid: {', '.join(SCOPE_CATEGORIES)}", number)
        if not decision.in_scope and decision.reason not in SCOPE_REASONS:
            raise SeedError(path, f"reason {decision.reason!r} is not valid; valid: {', '.join(SCOPE_REASONS)}", number)
        if decision.key in decisions:
            raise SeedError(path, f"{decision.key!r} is decided twice", number)
        decisions[decision.key] = decision
    return decisions


def decision_for(decisions: dict[str, ScopeDecision], key: str, path: Path) -> ScopeDecision:
    """The decision on one document; a document nobody decided is an error, never a silent default."""
    try:
        return decisions[key]
    except KeyError:
        raise SeedError(path / SCOPE_FILE, f"no scope decision for {key!r}: read it and add a line for it") from None


def out_of_scope(source_id: str, decision: ScopeDecision, title: str) -> OutOfScope:
    return OutOfScope(source_id, decision.key, title, decision.reason or "", decision.note, decision.decided_by)


def safe_id(prefix: str, key: str) -> str:
    """An incident id from a source's own key: letters, digits, '-' and '_' only, at most 128 characters.

    >>> safe_id("gdprhub", "AKI Estonia - 12.10.2023")
    'gdprhub-AKI-Estonia-12-10-2023'
    """
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "-", key).strip("-")
    return f"{prefix}-{cleaned}"[:128].rstrip("-")


def unique_ids(ids: list[str], path: Path) -> None:
    """Two documents whose keys clean to one id would merge silently: refuse instead."""
    seen: dict[str, int] = {}
    for number, incident_id in enumerate(ids, start=1):
        if incident_id in seen:
            raise SeedError(path, f"entries {seen[incident_id]} and {number} both become incident id {incident_id!r}", number)
        seen[incident_id] = number
