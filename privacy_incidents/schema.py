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
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent
LABELS_PATH = PROJECT_ROOT / "schemas" / "labels.yaml"
LABEL_SOURCES = ("gold", "silver")
# Version of cards/annotation-guidelines.md; bump both together.
GUIDELINE_VERSION = "1.0"
# Ids become file and folder names: no separators, no dots at the start, nothing exotic.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"


@dataclass(frozen=True)
class Taxonomy:
    version: str
    elements: tuple[str, ...]
    types_by_element: dict[str, tuple[str, ...]]
    descriptions: dict[str, str]
    veris: dict[str, str]

    @property
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


@cache
def load_taxonomy(path: Path = LABELS_PATH) -> Taxonomy:
    return taxonomy_from_dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_changelog(path: Path = LABELS_PATH) -> list[dict[str, str]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["changelog"]


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
    redistributable: bool
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


def _span_model(taxonomy: Taxonomy) -> type[BaseModel]:
    element_literal = Literal[taxonomy.elements]  # type: ignore[valid-type]
    all_types = tuple(sorted({t for types in taxonomy.types_by_element.values() for t in types}))
    type_literal = Literal[all_types]  # type: ignore[valid-type]

    def check(span: Any) -> Any:
        valid = taxonomy.types_by_element[span.element]
        if span.type not in valid:
            raise ValueError(f"type {span.type!r} is not a type of {span.element}; valid: {', '.join(valid)}")
        if (span.quote is None) == (span.start is None):
            raise ValueError("give either quote (with occurrence if it repeats) or start and end")
        if (span.start is None) != (span.end is None) or (span.start is not None and span.end <= span.start):
            raise ValueError("start and end go together, with end > start")
        if span.quote is not None and (not span.quote.strip() or span.quote != span.quote.strip()):
            raise ValueError(f"quote {span.quote!r} is empty or has spaces at its ends")
        return span

    return create_model(
        "SpanAnnotation",
        __base__=Strict,
        __doc__="One marked span: anchored by an exact quote (occurrence counts from 1) or by offsets.",
        quote=(str | None, None),
        occurrence=(int | None, Field(default=None, ge=1)),
        start=(int | None, Field(default=None, ge=0)),
        end=(int | None, Field(default=None, ge=1)),
        element=(element_literal, ...),
        type=(type_literal, ...),
        __validators__={"check": model_validator(mode="after")(check)},
    )


SpanAnnotation = _span_model(load_taxonomy())


class ArticleAnnotations(Strict):
    article_id: str = Field(pattern=ID_PATTERN)
    spans: list[SpanAnnotation] = Field(default_factory=list)  # type: ignore[valid-type]


class AnnotationFile(Strict):
    """``annotations.yaml``: the spans of every article of one incident, and who made them."""

    incident_id: str = Field(pattern=ID_PATTERN)
    status: Literal[LABEL_SOURCES]  # type: ignore[valid-type]
    annotator: str = Field(description="Who or what produced the labels.")
    reviewer: str | None = Field(default=None, description="Who reviewed them (required for gold).")
    guideline_version: str
    articles: list[ArticleAnnotations]

    @model_validator(mode="after")
    def _gold_is_reviewed(self) -> AnnotationFile:
        if self.status == "gold" and not self.reviewer:
            raise ValueError("status gold needs a reviewer: gold means a person reviewed the labels")
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


def json_schemas() -> dict[str, str]:
    """The JSON Schemas of the seed files, as the text committed under ``schemas/``."""
    return {
        f"{name}.schema.json": json.dumps(_without_line(model.model_json_schema(by_alias=False)), indent=2, sort_keys=True)
        + "\n"
        for name, model in SEED_FILE_MODELS.items()
    }


# --- Hugging Face features of the release ---------------------------------------------------


def release_features(taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """``datasets.Features`` of every config, derived from the taxonomy."""
    from datasets import ClassLabel, Features, List, Value

    taxonomy = taxonomy or load_taxonomy()
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
                "reviewer": text,
                "guideline_version": text,
                "article_ids": List(text),
                "elements": List(element),
                "types": List(type_label),
                "num_sentences": int32,
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
                "title": text,
                "publisher": text,
                "url": text,
                "published": text,
                "retrieved": text,
                "language": text,
                "original_language": text,
                "machine_translated": boolean,
                "license": text,
                "redistributable": boolean,
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
