"""Sentence segmenters behind one interface, for mining and for their benchmark (pure).

The release keeps pySBD (``segment.py``): it is the most accurate, and a few thousand sentences
take seconds. Mining scans millions of sentences, so it needs a faster one; which one was chosen
by measurement (``benchmarks/segmenters.py``, table in the README): ``MINING_SEGMENTER``.

Every segmenter splits paragraphs (non-empty lines) first, as the release does, so a headline
never glues onto the first sentence, and returns exact, stripped ``(start, end)`` offsets.

>>> text = "Data breach at clinic\\n\\nA nurse viewed 300 records. She was fired."
>>> [text[a:b] for a, b in sentence_spans(text, "nupunkt")]
['Data breach at clinic', 'A nurse viewed 300 records.', 'She was fired.']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

MINING_SEGMENTER = "nupunkt"
PARAGRAPH = re.compile(r"[^\n]+")

Spans = list[tuple[int, int]]


def _pysbd_spans(paragraph: str) -> Spans:
    from .segment import segment

    return [(s.start, s.end) for s in segment(paragraph)]


def _nupunkt_spans(paragraph: str) -> Spans:
    import nupunkt

    return nupunkt.sent_spans(paragraph)


def _blingfire_spans(paragraph: str) -> Spans:
    import blingfire

    # Character offsets into the Python string: benchmarks/segmenters.py compares them exactly with the gold.
    return blingfire.text_to_sentences_and_offsets(paragraph)[1]


SEGMENTERS: dict[str, Callable[[str], Spans]] = {
    "pysbd": _pysbd_spans,
    "nupunkt": _nupunkt_spans,
    "blingfire": _blingfire_spans,
}


def _strip(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` without surrounding whitespace; None for a blank piece."""
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return None
    start += len(piece) - len(piece.lstrip())
    return start, start + len(stripped)


@cache
def _segmenter(name: str) -> Callable[[str], Spans]:
    if name not in SEGMENTERS:
        raise ValueError(f"unknown segmenter {name!r}; valid: {', '.join(SEGMENTERS)}")
    return SEGMENTERS[name]


def sentence_spans(text: str, segmenter: str = MINING_SEGMENTER) -> Spans:
    """Stripped sentence offsets of ``text``: paragraphs first, then ``segmenter`` within each."""
    split = _segmenter(segmenter)
    spans: Spans = []
    for match in PARAGRAPH.finditer(text):
        paragraph, offset = match.group(0), match.start()
        for start, end in split(paragraph):
            stripped = _strip(paragraph, start, end)
            if stripped:
                spans.append((offset + stripped[0], offset + stripped[1]))
    return spans


def sentences(text: str, segmenter: str = MINING_SEGMENTER) -> list[str]:
    """The sentence texts of ``text`` (see ``sentence_spans``)."""
    return [text[a:b] for a, b in sentence_spans(text, segmenter)]
