"""Annotation quotes -> spans with offsets -> sentence labels (pure; precise errors).

>>> from privacy_incidents.schema import SpanAnnotation
>>> text = "The nurse accessed records. The nurse was fired."
>>> spans = resolve_spans(text, [SpanAnnotation(quote="nurse", occurrence=2, element="actor", type="insider_employee")])
>>> (spans[0].start, spans[0].end, text[spans[0].start:spans[0].end])
(32, 37, 'nurse')
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from .segment import Sentence


class AlignmentError(ValueError):
    """A span that cannot be placed in its article; ``line`` points into the annotation file."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    element: str
    type: str

    @property
    def label(self) -> str:
        return f"{self.element}:{self.type}"


def find_all(text: str, quote: str) -> list[int]:
    """Every start position of ``quote`` in ``text``, overlapping matches included."""
    positions, at = [], text.find(quote)
    while at >= 0:
        positions.append(at)
        at = text.find(quote, at + 1)
    return positions


def nearest_text(text: str, quote: str) -> str:
    """The passage of ``text`` most like ``quote``, to show in a 'not found' error."""
    words = text.split()
    width = max(1, len(quote.split()))
    windows = [" ".join(words[i : i + width]) for i in range(max(1, len(words) - width + 1))]
    best = difflib.get_close_matches(quote, windows, n=1, cutoff=0.0)
    return best[0] if best else ""


def _resolve(text: str, annotation: Any) -> Span:
    if annotation.quote is None:
        start, end = annotation.start, annotation.end
        if end > len(text):
            raise AlignmentError(f"offsets {start}:{end} run past the article's end ({len(text)})", annotation.line)
        covered = text[start:end]
        if not covered.strip() or covered != covered.strip():
            raise AlignmentError(
                f"offsets {start}:{end} cover {covered!r}: a span starts and ends on a character of the text, not on white space",
                annotation.line,
            )
        return Span(start, end, annotation.element, annotation.type)
    positions = find_all(text, annotation.quote)
    if not positions:
        raise AlignmentError(
            f"quote {annotation.quote!r} not found in the article; nearest text: {nearest_text(text, annotation.quote)!r}",
            annotation.line,
        )
    if annotation.occurrence is None and len(positions) > 1:
        raise AlignmentError(
            f"quote {annotation.quote!r} is ambiguous: it appears {len(positions)} times; "
            f"add occurrence: 1..{len(positions)}",
            annotation.line,
        )
    occurrence = annotation.occurrence or 1
    if occurrence > len(positions):
        raise AlignmentError(
            f"occurrence {occurrence} of quote {annotation.quote!r}, but it appears only {len(positions)} time(s)",
            annotation.line,
        )
    start = positions[occurrence - 1]
    return Span(start, start + len(annotation.quote), annotation.element, annotation.type)


def place_spans(text: str, annotations: list[Any]) -> tuple[list[Span], list[AlignmentError]]:
    """Place every annotation in ``text``; return the spans and *every* problem found.

    Each annotation is resolved once; overlaps are checked among those that could be placed.
    """
    placed, errors = [], []
    for annotation in annotations:
        try:
            placed.append((_resolve(text, annotation), annotation))
        except AlignmentError as error:
            errors.append(error)
    placed.sort(key=lambda pair: (pair[0].start, pair[0].end))
    for (left, _), (right, right_annotation) in zip(placed, placed[1:]):
        if right.start < left.end:
            errors.append(
                AlignmentError(
                    f"span {text[right.start:right.end]!r} overlaps span {text[left.start:left.end]!r}; spans may not overlap",
                    right_annotation.line,
                )
            )
    return [span for span, _ in placed], errors


def resolve_spans(text: str, annotations: list[Any]) -> list[Span]:
    """Place every annotation in ``text``; the first problem (missing, ambiguous, overlap) is raised."""
    spans, errors = place_spans(text, annotations)
    if errors:
        raise errors[0]
    return spans


def sentence_of(sentences: list[Sentence], span: Span) -> int:
    """Index of the sentence holding the span's start (sentences are in order)."""
    for index, sentence in enumerate(sentences):
        if sentence.start <= span.start < sentence.end:
            return index
    raise AlignmentError(f"span at {span.start}:{span.end} lies between sentences (in white space)")


def crosses_sentence(sentence: Sentence, span: Span) -> bool:
    return span.end > sentence.end
