"""``privacy-incidents validate --fix``: the few repairs that cannot change what a span means.

A fix is safe when the fixed file marks exactly the same characters with the same labels:
- a quote with spaces at its ends is trimmed (the span moves inside its own characters);
- an ``occurrence`` on a quote that appears once is dropped;
- a span listed twice, identically, is listed once.
Everything else (a quote not found, an ambiguous quote, an unknown label) needs a person.
The fixed file is re-read and re-placed before it replaces the old one.

>>> text = "A nurse viewed records."
>>> fix_span({"quote": " nurse ", "occurrence": 1, "element": "actor", "type": "insider_employee"}, text)
({'quote': 'nurse', 'element': 'actor', 'type': 'insider_employee'}, ["trimmed spaces around quote ' nurse '", "dropped occurrence: quote 'nurse' appears once"])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .align import find_all, place_spans
from .schema import AnnotationFile
from .project import using
from .seedfiles import SeedError, SeedErrors, dump_annotations, load_yaml, write_atomic
from .sources import read_registered, registry


def fix_span(span: dict[str, Any], text: str) -> tuple[dict[str, Any], list[str]]:
    """One span mapping with its safe fixes applied, and what was done (pure)."""
    fixed = {k: v for k, v in span.items() if k != "__line__"}
    done = []
    quote = fixed.get("quote")
    occurrence_given = fixed.get("occurrence")
    if occurrence_given is not None and (not isinstance(occurrence_given, int) or occurrence_given < 1):
        return fixed, []  # not a number: validate reports it, nothing here is safe to change
    if isinstance(quote, str) and quote.strip() and quote != quote.strip():
        positions = find_all(text, quote)
        occurrence = fixed.get("occurrence") or 1
        if (len(positions) == 1 or fixed.get("occurrence")) and occurrence <= len(positions):
            start = positions[occurrence - 1] + len(quote) - len(quote.lstrip())
            stripped = quote.strip()
            fixed["quote"] = stripped
            fixed["occurrence"] = find_all(text, stripped).index(start) + 1
            done.append(f"trimmed spaces around quote {quote!r}")
    quote = fixed.get("quote")
    if isinstance(quote, str) and fixed.get("occurrence") == 1 and len(find_all(text, quote)) == 1:
        del fixed["occurrence"]
        done.append(f"dropped occurrence: quote {quote!r} appears once")
    order = ("quote", "occurrence", "start", "end", "element", "type")
    return {k: fixed[k] for k in sorted(fixed, key=lambda k: order.index(k) if k in order else len(order))}, done


def fix_annotations(raw: dict[str, Any], texts: dict[str, str]) -> tuple[dict[str, Any], list[tuple[int | None, str]]]:
    """The annotation file's mapping with every span fixed; the fixes with the line they were on (pure)."""
    done: list[tuple[int | None, str]] = []
    articles = []
    for article in raw.get("articles") or []:
        text = texts.get(article.get("article_id")) if isinstance(article, dict) else None
        if text is None or not isinstance(article.get("spans"), list):
            articles.append(article)
            continue
        spans, seen = [], set()
        for span in article["spans"]:
            if not isinstance(span, dict):
                spans.append(span)
                continue
            fixed, notes = fix_span(span, text)
            key = tuple(sorted(fixed.items()))
            if key in seen:
                done.append((span.get("__line__"), f"removed a second, identical listing of span {fixed.get('quote', '')!r}"))
                continue
            seen.add(key)
            done.extend((span.get("__line__"), note) for note in notes)
            spans.append(fixed)
        articles.append({**article, "spans": spans})
    return {**raw, "articles": articles}, done


def texts_and_files(root: Path) -> tuple[dict[str, str], list[Path]]:
    """Normalised text of every article by id (what quotes match), and every annotation file.

    Read through the sources' adapters only: the annotation files may not parse yet, and that
    is what ``--fix`` is for. A source that does not read is skipped (validate reports it).
    """
    texts: dict[str, str] = {}
    files: list[Path] = []
    with using(root) as project:
        for source in registry(project):
            try:
                read = read_registered(source)
            except (SeedError, SeedErrors):
                continue
            for incident in read.incidents:
                texts.update({a.article_id: a.normalized.text for a in incident.articles})
                if incident.labels_from is None and incident.annotation_path and incident.annotation_path.exists():
                    files.append(incident.annotation_path)
    return texts, sorted(files)


def fix_file(path: Path, texts: dict[str, str]) -> list[str]:
    """Apply the safe fixes to one annotation file; rewrite it only when it then validates and places."""
    try:
        raw = load_yaml(path)
    except SeedError:
        return []
    if not isinstance(raw, dict):
        return []
    fixed, done = fix_annotations(raw, texts)
    if not done:
        return []
    try:
        annotations = AnnotationFile.model_validate(fixed)
    except ValueError:
        return [f"{path}: not fixed: other problems need a person first (see the errors)"]
    for article in annotations.articles:
        if article.article_id in texts and place_spans(texts[article.article_id], article.spans)[1]:
            return [f"{path}: not fixed: other problems need a person first (see the errors)"]
    write_atomic(path, dump_annotations(annotations, previous_text=path.read_text(encoding="utf-8")))
    return [f"{path}:{line}: {note}" if line else f"{path}: {note}" for line, note in done]


def fix_project(root: Path, only: Path | None = None) -> list[str]:
    """Safe fixes in every annotation file (or those under ``only``), and the JSON Schemas regenerated."""
    from .build import write_json_schemas

    texts, files = texts_and_files(root)
    paths = [p for p in files if only is None or p.resolve().is_relative_to(only.resolve())]
    done = [note for path in paths for note in fix_file(path, texts)]
    write_json_schemas(root)
    return done
