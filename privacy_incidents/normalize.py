"""Raw article text -> clean text, with a log of every fix and quality flags (pure).

Every change the normaliser makes is recorded as a ``Fix`` so the card can say what was
removed or rewritten. Words that are garbled but cannot be repaired with certainty are not
rewritten: they become ``QualityFlag``s with offsets into the clean text, which the segmenter
attaches to the sentences that contain them.

>>> result = normalize("See [data privacy](#) here.\\r\\n")
>>> result.text
'See data privacy here.'
>>> [fix.kind for fix in result.fixes]
['line_endings', 'markdown_link']
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
import unicodedata
from dataclasses import dataclass, field

import ftfy

if TYPE_CHECKING:
    from .textcache import TextCache

NORMALIZER_VERSION = "1.2"

# Mojibake seen in the HHS OCR archive that ftfy cannot undo (the bytes went through two
# code pages and lost information). Written by hand because no library knows this mapping;
# each entry was checked against the sentence it occurs in.
KNOWN_MOJIBAKE = {
    "┴шо": "\u201c",  # left double quotation mark
    "┴шВ": "\u201c",  # left double quotation mark (variant)
    "┴ш²": "\u201d",  # right double quotation mark
    "┴ш╒": "\u2022 ",  # bullet
    "┴шр": "\u2013",  # en dash
    "┴шс": "\u2014",  # em dash
    "Е╓": "\u00a7",  # section sign (C.F.R. §§)
}
# A sequence whose original character cannot be recovered ("4 ∙ю_∙ю_ years": some fraction).
# It becomes U+FFFD and a quality flag on its sentence rather than a guessed value.
UNRECOVERABLE_MOJIBAKE = ("∙ю_∙ю_",)

# Publisher boilerplate: whole paragraphs that are not part of the report.
BOILERPLATE_PARAGRAPHS = {
    "translation_disclaimer": re.compile(
        r"^The English, Chinese, Japanese, Arabic, and French versions are automatically generated"
    ),
    "copyright_line": re.compile(r"^©\s*\d{4}\b"),
    "citation_trailer": re.compile(r"^Citation: .* retrieved .* from$"),
    "url_line": re.compile(r"^<?https?://\S+>?$"),
    "copyright_notice": re.compile(r"^This document is subject to copyright\."),
    "horizontal_rule": re.compile(r"^-{3,}$"),
    "markdown_heading": re.compile(r"^#{1,6}(\s|$)"),  # "### Title", and a bare "###" too
    "dateline_only": re.compile(
        r"^(January|February|March|April|May|June|July|August|September|October|November|December)"
        r" \d{1,2},? \d{4}$"
    ),
}
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\((?:#|[^)\s]*)\)")
# Characters that mark machine-translation artefacts or unknown characters in a word.
SUSPICIOUS_CHARACTERS = {
    "\u2581": "mt_artifact",  # SentencePiece word marker leaked from a translation model
    "\ufffd": "unrecoverable_character",
}
SENTENCE_END = re.compile(r"[.!?:;\"'\u201d)]$")


@dataclass(frozen=True)
class Fix:
    """One change made to the text: what kind, and an excerpt of what was changed."""

    kind: str
    detail: str


@dataclass(frozen=True)
class QualityFlag:
    """A problem left in the text on purpose, located by offsets into the clean text."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Normalized:
    text: str
    fixes: list[Fix] = field(default_factory=list)
    flags: list[QualityFlag] = field(default_factory=list)


def _fix_encoding(text: str, fixes: list[Fix]) -> str:
    # ftfy handles the common mojibake; curly quotes are data, so keep them.
    fixed = ftfy.fix_text(text, uncurl_quotes=False, fix_line_breaks=False, normalization="NFC")
    if fixed != text:
        fixes.append(Fix("ftfy", "encoding repaired by ftfy"))
    for bad, good in KNOWN_MOJIBAKE.items():
        if bad in fixed:
            fixes.append(Fix("known_mojibake", f"{bad!r} -> {good!r} x{fixed.count(bad)}"))
            fixed = fixed.replace(bad, good)
    for bad in UNRECOVERABLE_MOJIBAKE:
        if bad in fixed:
            fixes.append(Fix("unrecoverable_mojibake", f"{bad!r} -> U+FFFD x{fixed.count(bad)}"))
            fixed = fixed.replace(bad, "\ufffd")
    nfc = unicodedata.normalize("NFC", fixed)
    if nfc != fixed:
        fixes.append(Fix("unicode_nfc", "text put in NFC"))
    return nfc


def _split_paragraphs(text: str, fixes: list[Fix]) -> list[str]:
    if "\r" in text:
        fixes.append(Fix("line_endings", "CR and CRLF turned into LF"))
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = []
    for line in text.split("\n"):
        cleaned = re.sub(r"[ \t\u00a0]+", " ", line).strip()
        if cleaned.endswith("\\"):
            fixes.append(Fix("trailing_backslash", cleaned[-40:]))
            cleaned = cleaned.rstrip("\\").rstrip()
        if cleaned.startswith("\\"):
            fixes.append(Fix("leading_backslash", cleaned[:40]))
            cleaned = cleaned.lstrip("\\").lstrip()
        if cleaned:
            paragraphs.append(cleaned)
    return paragraphs


def _drop_boilerplate(paragraphs: list[str], fixes: list[Fix]) -> list[str]:
    kept = []
    for paragraph in paragraphs:
        kind = next((k for k, rx in BOILERPLATE_PARAGRAPHS.items() if rx.search(paragraph)), None)
        if kind:
            fixes.append(Fix(f"boilerplate:{kind}", paragraph[:80]))
        else:
            kept.append(paragraph)
    return kept


def _unlink(paragraph: str, fixes: list[Fix]) -> str:
    for match in MARKDOWN_LINK.finditer(paragraph):
        fixes.append(Fix("markdown_link", match.group(0)))
    return MARKDOWN_LINK.sub(r"\1", paragraph)


def _rejoin_broken_sentences(paragraphs: list[str], fixes: list[Fix]) -> list[str]:
    """Join a paragraph that stops mid-sentence with the next one when that starts lowercase."""
    joined: list[str] = []
    for paragraph in paragraphs:
        if joined and not SENTENCE_END.search(joined[-1]) and paragraph[:1].islower():
            fixes.append(Fix("rejoined_paragraph", f"{joined[-1][-30:]} / {paragraph[:30]}"))
            joined[-1] = f"{joined[-1]} {paragraph}"
        else:
            joined.append(paragraph)
    return joined


def text_key(text: str) -> str:
    """Identity of a text for duplicate detection: case and white space do not count.

    >>> text_key("The  CE\\nnotified HHS.") == text_key("the CE notified HHS.")
    True
    """
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()


def find_quality_flags(text: str) -> list[QualityFlag]:
    """Locate suspicious characters, widened to the word they stand in."""
    flags = []
    for char, kind in SUSPICIOUS_CHARACTERS.items():
        for match in re.finditer(rf"\S*{re.escape(char)}\S*", text):
            flags.append(QualityFlag(kind, match.start(), match.end()))
    return sorted(flags, key=lambda f: (f.start, f.kind))


PROFILES = ("plain", "markdown", "markdown_body", "html_fragment", "pdf_markdown")

# Artefacts of PDF-to-Markdown conversion (court filings): whole lines to drop, and marks to strip.
PDF_LINES = {
    "pdf_page_header": re.compile(r"^\s*Case \d+:\d+-\w+-\d+\S*\s+Document\b.*$", re.MULTILINE),
    "pdf_page_number": re.compile(r"^\s*(?:-\s*)?\d{1,3}(?:\s*-)?\s*$", re.MULTILINE),
    "pdf_docket_number": re.compile(r"\A\s*\d{7}\s*$", re.MULTILINE),
}
PDF_MARKS = {
    "paragraph_number": re.compile(r"^(\s*)\*\*\d{1,3}\.\*\*\s*", re.MULTILINE),
    "footnote_mark": re.compile(r"\[\^\d+\]|(?<=[a-z.,;:”\"’)])[\u00b9\u00b2\u00b3\u2070-\u2079]+"),
}


def _fix_pdf_artifacts(text: str, fixes: list[Fix]) -> str:
    """Remove what the PDF's layout put into the text: page headers and numbers, paragraph numbers, footnote marks."""
    for kind, pattern in {**PDF_LINES, **PDF_MARKS}.items():
        found = pattern.findall(text)
        if found:
            fixes.append(Fix(kind, f"x{len(found)}"))
            text = pattern.sub(lambda m: m.group(1) if kind == "paragraph_number" else "", text)
    return text


# "##Impact on Individuals": CommonMark needs a space after the hashes, so such a line would be
# read as text; archive entries write section headings this way now and then.
UNSPACED_HEADING = re.compile(r"^(#{2,6})(?=[^\s#])", re.MULTILINE)


def _space_headings(markdown: str, fixes: list[Fix]) -> str:
    """Give an ATX heading written without its space (``##Impact``) the space CommonMark needs."""
    found = UNSPACED_HEADING.findall(markdown)
    if found:
        fixes.append(Fix("unspaced_heading", f"x{len(found)}"))
    return UNSPACED_HEADING.sub(r"\1 ", markdown)


def _html_text(fragment: str) -> str:
    """The text of an HTML fragment with lxml: tags dropped (links keep their words), entities decoded."""
    import lxml.html

    return lxml.html.fragment_fromstring(fragment, create_parent="div").text_content()


def normalize(raw: str, profile: str = "plain") -> Normalized:
    """Clean ``raw`` into paragraphs separated by a blank line; log every fix.

    ``profile`` says what the raw text is: ``plain`` text, or ``markdown`` (parsed with
    markdown-it-py first, so headings stay as text and links and images become their words).
    """
    fixes: list[Fix] = []
    if profile not in PROFILES:
        raise ValueError(f"unknown normalisation profile {profile!r}; valid: {', '.join(PROFILES)}")
    if profile == "pdf_markdown":
        raw = _fix_pdf_artifacts(raw, fixes)
    if profile in ("markdown", "markdown_body", "pdf_markdown"):
        from .markdown import markdown_to_text

        keep_headings = profile == "markdown"
        raw = markdown_to_text(_space_headings(raw, fixes), headings=keep_headings)
        fixes.append(Fix("markdown", "parsed with markdown-it-py: emphasis, link targets and image marks dropped"
                         + ("" if keep_headings else "; section headings dropped")))
    if profile == "html_fragment":
        raw = _html_text(raw)
        fixes.append(Fix("html", "text of the HTML fragment (lxml): tags dropped, entities decoded"))
    text = _fix_encoding(raw, fixes)
    paragraphs = _split_paragraphs(text, fixes)
    paragraphs = _drop_boilerplate(paragraphs, fixes)
    paragraphs = [_unlink(p, fixes) for p in paragraphs]
    paragraphs = _rejoin_broken_sentences(paragraphs, fixes)
    clean = "\n\n".join(paragraphs)
    return Normalized(clean, fixes, find_quality_flags(clean))


# --- a cache for builds: unchanged raw texts are not normalised again -------------------------------

_cache: "TextCache | None" = None  # set by ``normalizing_with_cache`` for the length of a collect


def _encode(result: Normalized) -> dict:
    return {"text": result.text, "fixes": [[f.kind, f.detail] for f in result.fixes],
            "flags": [[f.kind, f.start, f.end] for f in result.flags]}


def _decode(value: dict) -> Normalized:
    return Normalized(value["text"], [Fix(*f) for f in value["fixes"]], [QualityFlag(*f) for f in value["flags"]])


def normalize_cached(raw: str, profile: str = "plain") -> Normalized:
    """``normalize``, through the build's cache when one is open (the result is the same either way)."""
    if _cache is None:
        return normalize(raw, profile)
    return _decode(_cache.get(f"{profile}\0{raw}"))


@contextmanager
def normalizing_with_cache(path: "Path | None") -> Iterator[None]:
    """Keep normalised texts in ``path`` (keyed by profile, raw text and normaliser version) meanwhile."""
    from .textcache import TextCache

    global _cache
    previous = _cache
    _cache = TextCache(path, f"normalize-{NORMALIZER_VERSION}", lambda key: _encode(normalize(*reversed(key.split("\0", 1)))))
    try:
        yield
        _cache.save()
    finally:
        _cache = previous
