"""Adapter for incident folders (``seeds/incidents/<id>/``): ``incident.yaml``, article files, ``annotations.yaml``.

This is where articles added with ``privacy-incidents new`` live: news reports, typically one
incident per folder with one or more articles, each with its own provenance and licence.
"""

from __future__ import annotations

from pathlib import Path

from ..schema import IncidentMeta
from ..seedfiles import ANNOTATION_FILE, SeedError, SeedErrors, gathered, load_incident_meta, read_text_file
from . import ArticleInput, IncidentInput, SourceRead, make_article


def _read_article(folder: Path, meta) -> ArticleInput:
    path = folder / meta.file
    fields = meta.model_dump(mode="json", exclude={"file", "article_id"})
    return make_article(meta.article_id, read_text_file(path), fields, path)


def read_folder(folder: Path, source_id: str) -> IncidentInput:
    """One incident folder; every problem of its articles at once."""
    meta: IncidentMeta = load_incident_meta(folder)
    if meta.incident_id != folder.name:
        raise SeedError(folder / "incident.yaml", f"incident_id {meta.incident_id!r} differs from its folder name {folder.name!r}")
    errors, articles = [], []
    for article_meta in meta.articles:
        try:
            articles.append(_read_article(folder, article_meta))
        except SeedError as error:
            errors.append(error)
    if errors:
        raise SeedErrors(errors)
    return IncidentInput(
        incident_id=meta.incident_id,
        source=source_id,
        title=meta.title,
        date=meta.date.isoformat() if meta.date else None,
        summary=meta.summary,
        articles=articles,
        annotation_path=folder / ANNOTATION_FILE,
        split_group=meta.incident_id,
    )


def read(source_id: str, folder: Path) -> SourceRead:
    """Every incident folder under ``folder`` (hidden staging folders of ``new`` are skipped)."""
    errors: list[SeedError] = []
    folders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    incidents = [i for f in folders if (i := gathered(errors, read_folder, f, source_id))]
    if errors:
        raise SeedErrors(errors)
    return SourceRead(incidents)
