"""``privacy-incidents new``: a new incident (or one more article) from a file, labels suggested as silver.

Reading the file and checking it is I/O at the edge; building the incident's files is pure;
the folder is written to a staging place, validated like ``build`` would, then swapped in whole,
so a refusal leaves ``seeds/`` exactly as it was.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .markdown import markdown_to_text
from .normalize import normalize, text_key
from .project import Project, using
from .schema import ID_PATTERN, AnnotationFile, ArticleMeta, IncidentMeta
from .seedfiles import (
    ANNOTATION_FILE,
    INCIDENT_FILE,
    SeedError,
    SeedErrors,
    dump_annotations,
    dump_incident,
    load_annotations,
    load_incident_meta,
)
from .sources import Registered, registry
from .suggest import SILVER_ANNOTATOR, silver_annotations

MARKDOWN_SUFFIXES = (".md", ".markdown")
FOLDER_ADAPTER = "folders"

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
LOOKS_LIKE_HTML = re.compile(r"^\s*(<!doctype\s+html|<html|<head|<body)", re.IGNORECASE)
UNKNOWN_LICENSE = "unknown; treated as all rights reserved"
SILVER_HEADER = (
    "# Suggested by rules_v1, NOT read by anyone: read the article and fix the spans, then set\n"
    "# status: gold, annotator: your name, annotator_kind: person (see the guidelines, 'Status').\n"
)


@dataclass(frozen=True)
class Addition:
    """What ``new`` writes into the incident folder (file name -> text), and what it did."""

    files: dict[str, str]
    article_id: str
    suggested: int
    downgraded: bool = False


@dataclass(frozen=True)
class SourceText:
    """An article's text as it will be stored, and what the file told us about it."""

    text: str
    normalized: str  # what suggestions, titles and the duplicate check read (computed once)
    found: dict[str, str]  # title, publisher, published, url when an HTML page names them
    extracted_from_html: bool


def paragraphs_from_extraction(text: str) -> str:
    """trafilatura puts one paragraph a line; the normaliser needs blank lines between paragraphs.

    >>> paragraphs_from_extraction("Headline\\nFirst paragraph.\\n\\nSecond.")
    'Headline\\n\\nFirst paragraph.\\n\\nSecond.'
    """
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def read_source(path: Path) -> SourceText:
    """Text of a .txt/.md file or of a saved HTML page (article body by trafilatura); refusals name the file."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise SeedError(path, "no such file; give a .txt, .md or saved .html file") from None
    if b"\x00" in data[:8192]:
        raise SeedError(path, "not a text file (it holds binary data); give a .txt, .md or saved .html file")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SeedError(path, f"not UTF-8 text (byte {error.start}); save it as UTF-8 text, Markdown or HTML") from None
    if path.suffix.lower() in HTML_SUFFIXES or LOOKS_LIKE_HTML.match(raw):
        import trafilatura

        # fast: no fallback extractors, which return menus and footers of pages with no article.
        document = trafilatura.bare_extraction(raw, with_metadata=True, favor_precision=True, fast=True)
        body = paragraphs_from_extraction(document.text or "") if document else ""
        found = {}
        if document:
            found = {key: str(value) for key, value in (
                ("title", document.title), ("publisher", document.sitename), ("published", document.date), ("url", document.url)
            ) if value}
        source = SourceText(body, normalize(body).text, found, True)
    else:
        if path.suffix.lower() in MARKDOWN_SUFFIXES:
            raw = markdown_to_text(raw)  # headline kept, links and images turned into their words
        source = SourceText(raw, normalize(raw).text, {}, False)
    if not source.normalized.strip():
        what = "no article text could be extracted from the HTML page" if source.extracted_from_html else "the file has no text"
        raise SeedError(path, f"{what} (after removing boilerplate); nothing to add")
    return source


def article_meta(article_id: str, file_name: str, source: SourceText, options: dict[str, Any]) -> ArticleMeta:
    """Provenance of the new article: the user's options first, then what the page said."""
    given = {k: v for k, v in options.items() if v is not None}
    first_line = next(line.strip() for line in source.normalized.splitlines() if line.strip())
    return ArticleMeta(
        article_id=article_id,
        file=file_name,
        title=given.get("title") or source.found.get("title") or first_line[:150],
        publisher=given.get("publisher") or source.found.get("publisher") or "unknown",
        url=given.get("url") or source.found.get("url"),
        published=given.get("published") or source.found.get("published"),
        retrieved=given.get("retrieved"),
        language=given.get("language") or "en",
        license=given.get("license") or UNKNOWN_LICENSE,
        redistributable=bool(given.get("redistributable")),
        notes="Text extracted from a saved HTML page with trafilatura." if source.extracted_from_html else None,
    )


def silver_file(incident_id: str, article_id: str, source: SourceText) -> AnnotationFile:
    return silver_annotations(incident_id, [(article_id, source.normalized)])


def next_article_id(incident_id: str, taken: set[str]) -> str:
    """``<incident>-a1``, ``-a2``...: readable, and unique because incident ids are."""
    number = 1
    while f"{incident_id}-a{number}" in taken:
        number += 1
    return f"{incident_id}-a{number}"


def same_text_elsewhere(normalized_text: str, known: dict[str, str]) -> str | None:
    """The incident and article that already hold this normalised text, if any (``known``: text key -> where)."""
    return known.get(text_key(normalized_text))


def known_texts(project: Project) -> tuple[set[str], dict[str, str]]:
    """Incident ids, and where every normalised text is, without reading every source again.

    The folder incidents (what ``new`` adds to) are read fresh; every other source's texts come
    from the built release, so ``new`` stays fast as the sources grow. Without a release the
    whole project is read.
    """
    import pyarrow.parquet as pq

    from .build import collect
    from .sources import read_registered

    articles = sorted((project.dataset / "articles").glob("*.parquet"))
    if not articles:
        incidents = collect(project.root).incidents
        rows = [(i.incident_id, a.article_id, a.normalized.text) for i in incidents for a in i.articles]
    else:
        rows = [(r["incident_id"], r["article_id"], r["text"]) for path in articles
                for r in pq.read_table(path, columns=["incident_id", "article_id", "text"]).to_pylist()]
        folder_incidents = read_registered(folder_source(project)).incidents
        fresh = {i.incident_id for i in folder_incidents}
        rows = [row for row in rows if row[0] not in fresh]
        rows += [(i.incident_id, a.article_id, a.normalized.text) for i in folder_incidents for a in i.articles]
    known: dict[str, str] = {}
    for incident_id, article_id, text in rows:
        known.setdefault(text_key(text), f"incident {incident_id!r}, article {article_id!r}")
    return {row[0] for row in rows}, known


def new_incident_files(incident_id: str, source: SourceText, options: dict[str, Any]) -> Addition:
    """The files of a new incident folder: incident.yaml, the article, silver annotations."""
    article_id = next_article_id(incident_id, set())
    file_name = f"{article_id}.txt"
    article = article_meta(article_id, file_name, source, options)
    meta = IncidentMeta(
        incident_id=incident_id,
        title=options.get("incident_title") or article.title,
        date=options.get("date") or article.published,
        summary=options.get("summary") or "TODO: one paragraph saying who did what to whose data, and what followed.",
        articles=[article],
    )
    annotations = silver_file(incident_id, article_id, source)
    suggested = annotations.articles[0]
    files = {
        INCIDENT_FILE: dump_incident(meta, header="# Made by `privacy-incidents new`; check every field against the article.\n"),
        file_name: source.text.rstrip("\n") + "\n",
        ANNOTATION_FILE: dump_annotations(annotations, header=SILVER_HEADER),
    }
    return Addition(files, article_id, len(suggested.spans))


def added_article_files(folder: Path, source: SourceText, options: dict[str, Any]) -> Addition:
    """Files that change when one more article joins an existing incident (gold becomes silver)."""
    meta = load_incident_meta(folder)
    article_id = next_article_id(meta.incident_id, {a.article_id for a in meta.articles})
    file_name = f"{article_id}.txt"
    meta = meta.model_copy(update={"articles": [*meta.articles, article_meta(article_id, file_name, source, options)]})
    incident_text = (folder / INCIDENT_FILE).read_text(encoding="utf-8")
    files = {INCIDENT_FILE: dump_incident(meta, incident_text), file_name: source.text.rstrip("\n") + "\n"}
    annotation_path = folder / ANNOTATION_FILE
    suggested = silver_file(meta.incident_id, article_id, source).articles[0]
    if not annotation_path.exists():
        return Addition(files, article_id, len(suggested.spans))  # the build suggests silver labels for every article
    annotations = load_annotations(annotation_path)
    downgraded = annotations.status == "gold"
    # One status per incident: an unreviewed article makes the whole incident silver until reviewed.
    annotations = annotations.model_copy(
        update={
            "articles": [*annotations.articles, suggested],
            "status": "silver",
            "annotator_kind": "rules",
            "reviewer": None,
            "review": "none",
            "annotator": f"{annotations.annotator}; article {article_id}: {SILVER_ANNOTATOR}",
        }
    )
    files[ANNOTATION_FILE] = dump_annotations(annotations, annotation_path.read_text(encoding="utf-8"))
    return Addition(files, article_id, len(suggested.spans), downgraded)


def check_incident_id(incident_id: str) -> None:
    if not re.match(ID_PATTERN, incident_id):
        raise SeedError(
            Path(incident_id),
            "not a valid incident id: use letters, digits, '-' and '_' (up to 128, starting with a letter or digit), "
            "e.g. acme-clinic-snooping-2024",
        )


def folder_source(project: Project) -> Registered:
    """The registered source read by the ``folders`` adapter: where ``new`` adds incidents."""
    for source in registry(project):
        if source.adapter == FOLDER_ADAPTER:
            return source
    raise SeedError(project.sources_registry, f"no source with adapter {FOLDER_ADAPTER!r}: `new` adds incident folders to it")


def incidents_folder(project: Project) -> Path:
    """Where folder incidents live."""
    return folder_source(project).folder


def add_incident(root: Path, incident_id: str, source_path: Path, options: dict[str, Any], add_article: bool = False) -> Addition:
    """Write a new incident folder (or add an article to one); refuse, touching nothing, when it is not safe."""
    from .atomic import swap_in
    from .build import attach_annotations, incident_rows
    from .sources.folders import read_folder

    check_incident_id(incident_id)
    with using(root) as project:
        incidents_dir = incidents_folder(project)
        folder = incidents_dir / incident_id
        source = read_source(source_path)
        ids, known = known_texts(project)
        if add_article and incident_id not in ids:
            raise SeedError(folder, f"no incident {incident_id!r} to add an article to; drop --add-article to create it")
        if add_article and not folder.is_dir():
            raise SeedError(folder, f"incident {incident_id!r} is not a folder incident (the texts of other sources come from their raw files)")
        if not add_article and (incident_id in ids or folder.exists()):
            raise SeedError(folder, f"incident {incident_id!r} already exists; choose another id, or use --add-article to add this text to it")
        duplicate = same_text_elsewhere(source.normalized, known)
        if duplicate:
            raise SeedError(source_path, f"the same text (after normalisation) is already in the dataset: {duplicate}")
        addition = added_article_files(folder, source, options) if add_article else new_incident_files(incident_id, source, options)

        staging_parent = Path(tempfile.mkdtemp(prefix=".staging-", dir=incidents_dir))
        try:
            staged = staging_parent / incident_id
            if add_article:
                shutil.copytree(folder, staged)
            else:
                staged.mkdir()
            for name, text in addition.files.items():
                (staged / name).write_text(text, encoding="utf-8")
            try:
                # The same checks as build, before anything is swapped in.
                incident = attach_annotations(read_folder(staged, "staged"))
                incident_rows(incident)
            except (SeedError, SeedErrors) as error:
                shown = str(error).replace(str(staged), str(folder))  # name the real place, not the staging folder
                raise SeedError(source_path, f"the new files would not build, nothing was written: {shown}") from None
            if add_article:
                swap_in(staged, folder)
            else:
                staged.rename(folder)
        finally:
            shutil.rmtree(staging_parent, ignore_errors=True)
        return addition


def next_steps(incident_id: str, addition: Addition, incidents_dir: Path = Path("seeds/incidents")) -> str:
    folder = (incidents_dir / incident_id).as_posix()
    lines = [f"added article {addition.article_id} to {folder}/ with {addition.suggested} suggested span(s), status silver."]
    if addition.downgraded:
        lines.append("note: the incident was gold; it is silver now, until someone reviews the new article too.")
    lines += [
        "next steps:",
        f"  1. read {folder}/{addition.article_id}.txt and check {folder}/incident.yaml (title, date, summary, publisher, licence)",
        f"  2. review the labels: edit {folder}/annotations.yaml by the guidelines (cards/annotation-guidelines.md),",
        f"     or in Label Studio: privacy-incidents export label-studio --incident {incident_id} --out review.json,",
        "     then privacy-incidents import label-studio EXPORTED.json --reviewer 'Your Name'",
        "     (when you edit by hand, once you have read every span: status: gold, annotator: your name,",
        "      annotator_kind: person, and review: none — or full, with reviewer:, once a second person has read it all)",
        "  3. privacy-incidents validate",
        "  4. privacy-incidents build",
        "  5. privacy-incidents evaluate --all && privacy-incidents build   # new scores, and the card that shows them",
    ]
    return "\n".join(lines)
