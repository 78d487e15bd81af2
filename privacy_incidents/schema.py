"""The only reader of ``schemas/labels.yaml``: label lists, HF ``Features``, seed-file models.

Everything that names a label is derived from here, so a change to the taxonomy is one edit.

>>> taxonomy = load_taxonomy()
>>> taxonomy.elements[:2]
('actor', 'action')
>>> taxonomy.type_names[0]
'actor:insider_employee'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
import datetime as dt
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from .project import active, read_once

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LABEL_SOURCES = ("gold", "silver")
# Version of cards/annotation-guidelines.md; bump both together.
GUIDELINE_VERSION = "1.3"
# Ids become file and folder names: no separators, no dots at the start, nothing exotic.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"


@dataclass(frozen=True)
class Taxonomy:
    version: str
    elements: tuple[str, ...]
    types_by_element: dict[str, tuple[str, ...]]
    descriptions: dict[str, str]
    veris: dict[str, str]

    @cached_property  # asked for per sentence: computed once per taxonomy
    def type_names(self) -> tuple[str, ...]:
        """Flat ``element:type`` names in declaration order (their ClassLabel integers)."""
        return tuple(f"{e}:{t}" for e in self.elements for t in self.types_by_element[e])


def taxonomy_from_dict(raw: dict[str, Any]) -> Taxonomy:
    elements = tuple(e["name"] for e in raw["elements"])
    types_by_element = {e["name"]: tuple(t["name"] for t in e["types"]) for e in raw["elements"]}
    descriptions = {e["name"]: e["description"] for e in raw["elements"]}
    veris = {}
    for element in raw["elements"]:
        for t in element["types"]:
            descriptions[f"{element['name']}:{t['name']}"] = t["description"]
            veris[f"{element['name']}:{t['name']}"] = t["veris"]
    return Taxonomy(str(raw["version"]), elements, types_by_element, descriptions, veris)


def _read_taxonomy(path: Path) -> Taxonomy:
    return taxonomy_from_dict(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))


_last: list = []  # [project, its taxonomy]: the last active project asked about


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """The taxonomy of the active project (or of ``path``); read once per file version.

    Called for every span validated, so the active project's taxonomy is remembered for as long
    as that project stays active (a new activation looks at the file again).
    """
    if path is None:
        project = active()
        if _last and _last[0] is project:
            return _last[1]
        taxonomy = load_taxonomy(project.labels)
        _last[:] = [project, taxonomy]
        return taxonomy
    return read_once(path, _read_taxonomy)


def load_changelog(path: Path | None = None) -> list[dict[str, str]]:
    path = path or active().labels
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["changelog"]


# --- Models of the seed files -------------------------------------------------------------


class Strict(BaseModel):
    """Closed models: an unknown key is an error. ``line`` is where the mapping stood in its YAML file."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    line: int | None = Field(default=None, alias="__line__", exclude=True)


class ArticleMeta(Strict):
    """Provenance of one article file of an incident."""

    article_id: str = Field(pattern=ID_PATTERN)
    file: str = Field(description="The article's file name inside the incident folder.")
    title: str
    publisher: str
    url: str | None = None
    published: dt.date | None = None
    retrieved: dt.date | None = None
    language: str = Field(default="en", description="Language of the text as stored.")
    original_language: str | None = Field(default=None, description="Set when the text is a translation.")
    machine_translated: bool = False
    license: str = Field(description="Licence of the text, e.g. 'copyright AFP' or 'public-domain-us-gov'.")
    attribution: str | None = Field(default=None, description="The attribution the licence asks for.")
    redistributable: bool
    commercial_use: bool = Field(default=False, description="The licence allows commercial use.")
    notes: str | None = None

    @field_validator("file")
    @classmethod
    def _plain_file_name(cls, value: str) -> str:
        if "/" in value or "\\" in value or value.startswith("."):
            raise ValueError(f"file must be a plain file name inside the incident folder, not {value!r}")
        return value


class IncidentMeta(Strict):
    """``incident.yaml``: what the incident is and which articles report it."""

    incident_id: str = Field(pattern=ID_PATTERN)
    title: str
    date: dt.date | None = Field(default=None, description="When the incident was first reported.")
    summary: str
    articles: list[ArticleMeta] = Field(min_length=1)


class SpanAnnotation(Strict):
    """One marked span: anchored by an exact quote (occurrence counts from 1) or by offsets.

    ``element`` and ``type`` are checked against the active project's taxonomy when the span
    is validated (the JSON Schema lists them, see ``json_schemas``).
    """

    quote: str | None = None
    occurrence: int | None = Field(default=None, ge=1)
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=1)
    element: str
    type: str

    @model_validator(mode="after")
    def _check(self) -> SpanAnnotation:
        taxonomy = load_taxonomy()
        if self.element not in taxonomy.elements:
            raise ValueError(f"element {self.element!r} is not valid; expected {_alternatives(taxonomy.elements)}")
        valid = taxonomy.types_by_element[self.element]
        if self.type not in valid:
            raise ValueError(f"type {self.type!r} is not a type of {self.element}; valid: {', '.join(valid)}")
        if (self.quote is None) == (self.start is None):
            raise ValueError("give either quote (with occurrence if it repeats) or start and end")
        if (self.start is None) != (self.end is None) or (self.start is not None and self.end <= self.start):
            raise ValueError("start and end go together, with end > start")
        if self.quote is not None and (not self.quote.strip() or self.quote != self.quote.strip()):
            raise ValueError(f"quote {self.quote!r} is empty or has spaces at its ends")
        return self


def _alternatives(values: tuple[str, ...]) -> str:
    """Pydantic's wording for a closed list, so every 'not valid' message reads alike."""
    quoted = [repr(v) for v in values]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]


class ArticleAnnotations(Strict):
    article_id: str = Field(pattern=ID_PATTERN)
    spans: list[SpanAnnotation] = Field(default_factory=list)  # type: ignore[valid-type]


ANNOTATOR_KINDS = ("person", "model", "rules")
REVIEW_KINDS = ("full", "sample", "none")


class AnnotationFile(Strict):
    """``annotations.yaml``: the spans of every article of one incident, who made them and how they were checked.

    ``gold`` means an annotator (a person or a language-model annotation agent, as
    ``annotator_kind`` says) decided every span by reading the text under the guidelines;
    ``silver`` means rules suggested them and nobody has read them. ``review`` says what
    happened next: ``full`` (a second reader read every span of this incident), ``sample`` (the
    batch holding this incident was checked by reading a sample; this one may not have been
    read), ``none``.
    """

    incident_id: str = Field(pattern=ID_PATTERN)
    status: Literal[LABEL_SOURCES]  # type: ignore[valid-type]
    annotator: str = Field(description="Who or what produced the labels.")
    annotator_kind: Literal[ANNOTATOR_KINDS] = Field(  # type: ignore[valid-type]
        description="person, model (a language-model annotation agent) or rules (a suggester: silver only)."
    )
    reviewer: str | None = Field(default=None, description="Who reviewed the labels, if anyone.")
    review: Literal[REVIEW_KINDS] = Field(  # type: ignore[valid-type]
        description="full (every span re-read), sample (the batch was checked by a sample), none."
    )
    guideline_version: str
    articles: list[ArticleAnnotations]

    @model_validator(mode="after")
    def _status_matches_provenance(self) -> AnnotationFile:
        if self.status == "gold" and self.annotator_kind == "rules":
            raise ValueError("status gold needs an annotator who read the text (annotator_kind person or model); rules only suggest (silver)")
        if self.status == "silver" and self.annotator_kind != "rules":
            raise ValueError("status silver is for labels suggested by rules (annotator_kind rules); labels decided by reading are gold")
        if self.review != "none" and not self.reviewer:
            raise ValueError(f"review {self.review!r} needs a reviewer: who read them")
        if self.review == "none" and self.reviewer:
            raise ValueError("a reviewer is named but review is 'none': say full or sample")
        return self


SEED_FILE_MODELS = {"incident": IncidentMeta, "annotations": AnnotationFile}


def _without_line(schema: Any) -> Any:
    """Drop the loader's bookkeeping field ``line``: it is not part of the file format."""
    if isinstance(schema, list):
        return [_without_line(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned = {k: _without_line(v) for k, v in schema.items()}
    if isinstance(cleaned.get("properties"), dict):
        cleaned["properties"].pop("line", None)
    return cleaned


def _with_label_enums(schema: dict[str, Any], taxonomy: Taxonomy) -> dict[str, Any]:
    """List the taxonomy's elements and types in the span schema (the model checks them at run time)."""
    span = schema.get("$defs", {}).get("SpanAnnotation")
    if span:
        span["properties"]["element"]["enum"] = list(taxonomy.elements)
        span["properties"]["type"]["enum"] = sorted({t for ts in taxonomy.types_by_element.values() for t in ts})
    return schema


def json_schemas(taxonomy: Taxonomy | None = None) -> dict[str, str]:
    """The JSON Schemas of the seed files, as the text committed under ``schemas/``."""
    taxonomy = taxonomy or load_taxonomy()
    return {
        f"{name}.schema.json": json.dumps(
            _with_label_enums(_without_line(model.model_json_schema(by_alias=False)), taxonomy), indent=2, sort_keys=True
        )
        + "\n"
        for name, model in SEED_FILE_MODELS.items()
    }


# --- Hugging Face features of the release ---------------------------------------------------


_features: dict[int, tuple[Taxonomy, dict[str, Any]]] = {}


def release_features(taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """``datasets.Features`` of every config, derived from the taxonomy (made once per taxonomy)."""
    taxonomy = taxonomy or load_taxonomy()
    made = _features.get(id(taxonomy))
    if made is None or made[0] is not taxonomy:
        made = _features[id(taxonomy)] = (taxonomy, _release_features(taxonomy))
    return made[1]


def _release_features(taxonomy: Taxonomy) -> dict[str, Any]:
    from datasets import ClassLabel, Features, List, Value

    element = ClassLabel(names=list(taxonomy.elements))
    type_label = ClassLabel(names=list(taxonomy.type_names))
    label_source = ClassLabel(names=list(LABEL_SOURCES))
    text, int32, boolean = Value("string"), Value("int32"), Value("bool")
    return {
        "sentences": Features(
            {
                "sentence_id": text,
                "incident_id": text,
                "article_id": text,
                "source": text,
                "sentence_index": int32,
                "start": int32,
                "end": int32,
                "text": text,
                "elements": List(element),
                "types": List(type_label),
                "label_source": label_source,
                "quality_flags": List(text),
                "duplicate_group": text,
                "duplicate_count": int32,
            }
        ),
        "spans": Features(
            {
                "span_id": text,
                "incident_id": text,
                "article_id": text,
                "sentence_id": text,
                "start": int32,
                "end": int32,
                "text": text,
                "element": element,
                "type": type_label,
                "label_source": label_source,
            }
        ),
        "incidents": Features(
            {
                "incident_id": text,
                "title": text,
                "source": text,
                "date": text,
                "summary": text,
                "label_source": label_source,
                "annotator": text,
                "annotator_kind": text,
                "reviewer": text,
                "review": text,
                "guideline_version": text,
                "article_ids": List(text),
                "elements": List(element),
                "types": List(type_label),
                "num_sentences": int32,
                # The source's structured fields, where it has them (null elsewhere) ...
                "organisation": text,
                "sector": text,
                "jurisdiction": text,
                "authority": text,
                "outcome": text,
                "fine": text,
                "severity": text,
                "data_types": List(text),
                "records_affected": Value("int64"),
                "url": text,
                "scope_category": text,
                "source_fields": text,  # ... and all of them as the source gave them (JSON)
                "duplicate_of": text,
                "covered_entity": text,
                "covered_entity_type": text,
                "state": text,
                "individuals_affected": Value("int64"),
                "breach_submission_date": text,
                "type_of_breach": List(text),
                "location_of_breached_information": List(text),
                "business_associate_present": boolean,
            }
        ),
        "articles": Features(
            {
                "article_id": text,
                "incident_id": text,
                "source": text,
                "title": text,
                "publisher": text,
                "url": text,
                "published": text,
                "retrieved": text,
                "language": text,
                "original_language": text,
                "machine_translated": boolean,
                "license": text,
                "attribution": text,
                "redistributable": boolean,
                "commercial_use": boolean,
                "text": text,
                "raw_sha256": text,
                "normalizer_version": text,
                "normalization_fixes": List(text),
            }
        ),
    }


CONFIGS = ("sentences", "spans", "incidents", "articles")
DEFAULT_CONFIG = "sentences"
SPLITS = ("train", "validation", "test")
