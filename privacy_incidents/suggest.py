"""Rule-based pre-annotation (pure once the rules are loaded); also the ``rules_v1`` baseline.

The lexicons and patterns live in ``baselines/rules_v1.yaml``; this module only matches them.

>>> rules = load_rules()
>>> [(s.element, s.type) for s in suggest_spans("Hackers stole names and SSNs.", rules)]
[('actor', 'criminal_hacker'), ('data_accessed', 'identity_contact'), ('data_accessed', 'government_id')]
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from .align import Span, find_all
from .project import active, read_once
from .textcache import TextCache
from .schema import GUIDELINE_VERSION, AnnotationFile, ArticleAnnotations, SpanAnnotation, load_taxonomy

RULES_FILE = "rules_v1.yaml"
SILVER_ANNOTATOR = "rules_v1 suggester (not reviewed)"


@dataclass(frozen=True)
class Rules:
    name: str
    patterns: tuple[tuple[str, str, re.Pattern[str]], ...]  # (element, type, compiled)


def load_rules(path: Path | None = None) -> Rules:
    """The active project's rules_v1 (or the rule file ``path``), compiled once per file version."""
    return read_once(path or active().baselines / RULES_FILE, _compile_rules)


def _compile_rules(path: Path) -> Rules:
    """Compile the rule file; an unknown element or type is an error naming the valid ones."""
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    taxonomy = load_taxonomy()
    compiled = []
    for element, by_type in raw["patterns"].items():
        if element not in taxonomy.elements:
            raise ValueError(f"{path}: unknown element {element!r}; valid: {', '.join(taxonomy.elements)}")
        for type_name, patterns in by_type.items():
            if type_name not in taxonomy.types_by_element[element]:
                valid = ", ".join(taxonomy.types_by_element[element])
                raise ValueError(f"{path}: unknown type {type_name!r} of {element}; valid: {valid}")
            for pattern in patterns:
                compiled.append((element, type_name, re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])", re.IGNORECASE)))
    return Rules(raw["name"], tuple(compiled))


def suggest_spans(text: str, rules: Rules) -> list[Span]:
    """Non-overlapping spans: the earliest match wins, then the longest, then the first rule."""
    candidates = [
        (match.start(), -(match.end() - match.start()), order, Span(match.start(), match.end(), element, type_name))
        for order, (element, type_name, pattern) in enumerate(rules.patterns)
        for match in pattern.finditer(text)
        if match.end() > match.start()
    ]
    chosen: list[Span] = []
    for *_, span in sorted(candidates, key=lambda c: c[:3]):
        if not chosen or span.start >= chosen[-1].end:
            chosen.append(span)
    return chosen


def spans_to_annotations(text: str, spans: list[Span]) -> list[SpanAnnotation]:
    """Spans as quote annotations (with occurrence when the quote repeats), for seed files."""
    annotations = []
    for span in spans:
        quote = text[span.start : span.end]
        positions = find_all(text, quote)
        occurrence = positions.index(span.start) + 1 if len(positions) > 1 else None
        annotations.append(SpanAnnotation(quote=quote, occurrence=occurrence, element=span.element, type=span.type))
    return annotations


class SuggestionCache(TextCache):
    """rules_v1's spans of texts seen before, for as long as the rule file is unchanged."""

    def __init__(self, path: Path | None):
        rules_file = active().baselines / RULES_FILE
        version = "suggest-1:" + hashlib.sha256(rules_file.read_bytes()).hexdigest()[:16]
        rules = load_rules()
        super().__init__(path, version, lambda text: [[s.start, s.end, s.element, s.type] for s in suggest_spans(text, rules)])

    def spans(self, text: str) -> list[Span]:
        return [Span(*values) for values in self.get(text)]


def silver_annotations(
    incident_id: str, articles: list[tuple[str, str]], spans_of: Callable[[str], list[Span]] | None = None
) -> AnnotationFile:
    """Suggested, unreviewed annotations of an incident from ``(article_id, normalised text)`` pairs.

    ``spans_of`` is ``suggest_spans`` with the project's rules unless a cache stands in for it.
    """
    if spans_of is None:
        rules = load_rules()
        spans_of = lambda text: suggest_spans(text, rules)  # noqa: E731
    return AnnotationFile(
        incident_id=incident_id,
        status="silver",
        annotator=SILVER_ANNOTATOR,
        annotator_kind="rules",
        review="none",
        guideline_version=GUIDELINE_VERSION,
        articles=[
            ArticleAnnotations(article_id=article_id, spans=spans_to_annotations(text, spans_of(text)))
            for article_id, text in articles
        ],
    )
