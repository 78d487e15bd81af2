"""seeds/ -> rows -> dataset/ (atomic, deterministic).

Three stages: ``collect`` reads the seed files (I/O, all problems gathered), ``make_rows``
turns incidents into the rows of every config (pure), ``write_release`` writes Parquet, the
card and the split lists into a temporary folder that is swapped in whole.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .align import Span, crosses_sentence, place_spans, resolve_spans, sentence_of
from .normalize import NORMALIZER_VERSION, Normalized, normalize, text_key
from .schema import (
    CONFIGS,
    SPLITS,
    AnnotationFile,
    IncidentMeta,
    json_schemas,
    load_taxonomy,
    release_features,
)
from .seedfiles import (
    ANNOTATION_FILE,
    HHS_AGREEMENT_DIR,
    HHS_ANNOTATIONS_DIR,
    HHS_CSV,
    INCIDENTS_DIR,
    SeedError,
    SeedErrors,
    load_annotations,
    load_incident_meta,
    read_text_file,
)
from .segment import segment
from .sources import hhs_ocr
from .splits import assign_split
from .quality import agreement, breach_type_consistency, review_changes
from .suggest import load_rules, silver_annotations, suggest_spans

@dataclass
class ArticleInput:
    article_id: str
    raw_text: str
    meta: dict[str, Any]
    normalized: Normalized
    path: Path


@dataclass
class IncidentInput:
    incident_id: str
    source: str
    title: str
    date: str | None
    summary: str
    articles: list[ArticleInput]
    annotations: AnnotationFile
    annotation_path: Path | None
    split_group: str
    extra: dict[str, Any] = field(default_factory=dict)


# --- collect (I/O) ----------------------------------------------------------------------------


def _silver(incident_id: str, articles: list[ArticleInput]) -> AnnotationFile:
    return silver_annotations(incident_id, [(a.article_id, a.normalized.text) for a in articles])


def _read_article(folder: Path, meta: Any) -> ArticleInput:
    path = folder / meta.file
    raw = read_text_file(path)
    normalized = normalize(raw)
    if not normalized.text.strip():
        raise SeedError(path, "article is empty after normalisation (only boilerplate?)")
    fields = meta.model_dump(mode="json", exclude={"file", "article_id"})
    return ArticleInput(meta.article_id, raw, fields, normalized, path)


def collect_folder_incident(folder: Path) -> IncidentInput:
    """One incident folder: ``incident.yaml``, its article files, ``annotations.yaml`` if any."""
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
    annotation_path = folder / ANNOTATION_FILE
    annotations = load_annotations(annotation_path) if annotation_path.exists() else _silver(meta.incident_id, articles)
    return IncidentInput(
        incident_id=meta.incident_id,
        source="news",
        title=meta.title,
        date=meta.date.isoformat() if meta.date else None,
        summary=meta.summary,
        articles=articles,
        annotations=annotations,
        annotation_path=annotation_path if annotation_path.exists() else None,
        split_group=meta.incident_id,
    )


def _split_list(value: str | None) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()] if value else []


def collect_hhs_incidents(csv_path: Path, annotations_dir: Path) -> tuple[list[IncidentInput], list[str]]:
    """Incidents of the OCR archive, and the messages of rows that could not be used."""
    records, problems = hhs_ocr.read_archive(csv_path)
    annotated = {p.stem: p for p in annotations_dir.glob("*.yaml")} if annotations_dir.exists() else {}
    incidents = []
    for record in records:
        normalized = normalize(record.narrative)
        fields = record.fields
        article = ArticleInput(
            article_id=record.incident_id,
            raw_text=record.narrative,
            meta={
                "title": f"HHS OCR breach report: {fields['name_of_covered_entity']}",
                "publisher": hhs_ocr.PUBLISHER,
                "url": hhs_ocr.URL,
                "published": None,
                "retrieved": hhs_ocr.RETRIEVED,
                "language": "en",
                "original_language": None,
                "machine_translated": False,
                "license": hhs_ocr.LICENSE,
                "redistributable": True,
                "notes": hhs_ocr.LICENSE_BASIS,
            },
            normalized=normalized,
            path=csv_path,
        )
        # Repeat filings share the first filing's annotations: the text, so the labels, are one.
        label_id = record.duplicate_of or record.incident_id
        path = annotated.get(label_id)
        if path:
            annotations = load_annotations(path)
            annotations = annotations.model_copy(
                update={
                    "incident_id": record.incident_id,
                    "articles": [a.model_copy(update={"article_id": record.incident_id}) for a in annotations.articles],
                }
            )
        else:
            annotations = _silver(record.incident_id, [article])
        incidents.append(
            IncidentInput(
                incident_id=record.incident_id,
                source=hhs_ocr.SOURCE_ID,
                title=article.meta["title"],
                date=fields["breach_submission_date"],
                summary="",
                articles=[article],
                annotations=annotations,
                annotation_path=path,
                split_group=label_id,
                extra={
                    "duplicate_of": record.duplicate_of,
                    "covered_entity": fields["name_of_covered_entity"],
                    "covered_entity_type": fields["covered_entity_type"],
                    "state": fields["state"],
                    "individuals_affected": int(fields["individuals_affected"]) if fields["individuals_affected"] else None,
                    "breach_submission_date": fields["breach_submission_date"],
                    "type_of_breach": _split_list(fields["type_of_breach"]),
                    "location_of_breached_information": _split_list(fields["location_of_breached_information"]),
                    "business_associate_present": fields["business_associate_present"] == "true",
                },
            )
        )
    return incidents, [f"{csv_path}:{p.line_number}: {p.message} (skipped)" for p in problems]


def collect(root: Path, progress: Callable[[str], None] = lambda _: None) -> tuple[list[IncidentInput], list[str]]:
    """Every incident under ``root/seeds``; raises ``SeedErrors`` with all problems found."""
    errors: list[SeedError] = []
    incidents: list[IncidentInput] = []
    incidents_dir = root / INCIDENTS_DIR
    for folder in sorted(p for p in incidents_dir.iterdir() if p.is_dir()) if incidents_dir.exists() else []:
        try:
            incidents.append(collect_folder_incident(folder))
        except SeedError as error:
            errors.append(error)
        except SeedErrors as many:
            errors.extend(many.errors)
    progress(f"read {len(incidents)} incident folder(s)")
    warnings: list[str] = []
    if (root / HHS_CSV).exists():
        try:
            hhs, warnings = collect_hhs_incidents(root / HHS_CSV, root / HHS_ANNOTATIONS_DIR)
            incidents.extend(hhs)
            progress(f"read {len(hhs)} HHS OCR narratives")
        except SeedError as error:
            errors.append(error)
        except SeedErrors as many:
            errors.extend(many.errors)
    errors.extend(check_unique(incidents))
    if errors:
        raise SeedErrors(errors)
    return incidents, warnings


def check_unique(incidents: list[IncidentInput]) -> list[SeedError]:
    """Duplicate incident or article ids, and one article text filed under two incidents."""
    errors = []
    seen_incidents: dict[str, IncidentInput] = {}
    seen_articles: dict[str, str] = {}
    seen_texts: dict[str, tuple[str, str]] = {}
    for incident in incidents:
        if incident.incident_id in seen_incidents:
            errors.append(SeedError(incident.articles[0].path, f"duplicate incident id {incident.incident_id!r}"))
        seen_incidents[incident.incident_id] = incident
        for article in incident.articles:
            if article.article_id in seen_articles:
                errors.append(
                    SeedError(article.path, f"duplicate article id {article.article_id!r} (also in incident {seen_articles[article.article_id]!r})")
                )
            seen_articles[article.article_id] = incident.incident_id
            if incident.extra.get("duplicate_of"):
                continue  # a repeat filing, marked and grouped on purpose
            key = text_key(article.normalized.text)
            if key in seen_texts:
                other_incident, other_article = seen_texts[key]
                errors.append(
                    SeedError(
                        article.path,
                        f"article {article.article_id!r} has the same text as article {other_article!r} of incident {other_incident!r}",
                    )
                )
            seen_texts.setdefault(key, (incident.incident_id, article.article_id))
    return errors


def redistributable_only(incidents: list[IncidentInput]) -> tuple[list[IncidentInput], list[dict[str, Any]]]:
    """The incidents with only the articles whose licence allows redistribution, and what was left out (pure).

    An incident left with no article is left out whole; its split does not change (the split
    key is the incident id), so the variant's splits are subsets of the full release's.
    """
    kept, left_out = [], []
    for incident in incidents:
        articles = [a for a in incident.articles if a.meta["redistributable"]]
        left_out += [
            {"incident_id": incident.incident_id, "article_id": a.article_id, "publisher": a.meta["publisher"],
             "license": a.meta["license"], "incident_left_out": not articles}
            for a in incident.articles if not a.meta["redistributable"]
        ]
        if not articles:
            continue
        ids = {a.article_id for a in articles}
        annotations = incident.annotations.model_copy(
            update={"articles": [a for a in incident.annotations.articles if a.article_id in ids]}
        )
        kept.append(dataclasses.replace(incident, articles=articles, annotations=annotations))
    return kept, left_out


# --- rows (pure) ------------------------------------------------------------------------------


def _annotation_spans(incident: IncidentInput) -> dict[str, list[Span]]:
    """Resolve every article's spans; all alignment problems of the incident together."""
    by_article = {a.article_id: a for a in incident.articles}
    path = incident.annotation_path or incident.articles[0].path
    errors, resolved = [], {}
    if incident.annotations.incident_id != incident.incident_id and incident.source != hhs_ocr.SOURCE_ID:
        errors.append(SeedError(path, f"incident_id {incident.annotations.incident_id!r} differs from {incident.incident_id!r}"))
    for article_annotations in incident.annotations.articles:
        article = by_article.get(article_annotations.article_id)
        if article is None:
            errors.append(
                SeedError(
                    path,
                    f"incident {incident.incident_id}: no article {article_annotations.article_id!r}; articles: {', '.join(by_article)}",
                    article_annotations.line,
                )
            )
            continue
        spans, problems = place_spans(article.normalized.text, article_annotations.spans)
        resolved[article.article_id] = spans
        errors.extend(
            SeedError(path, f"incident {incident.incident_id}, article {article.article_id}: {problem}", problem.line)
            for problem in problems
        )
    if errors:
        raise SeedErrors(errors)
    return resolved


def _sorted_unique(values: Any, order: tuple[str, ...]) -> list[str]:
    present = set(values)
    return [v for v in order if v in present]


def incident_rows(incident: IncidentInput) -> dict[str, list[dict[str, Any]]]:
    """The rows one incident contributes to every config (labels still as names)."""
    taxonomy = load_taxonomy()
    spans_by_article = _annotation_spans(incident)
    label_source = incident.annotations.status
    rows: dict[str, list[dict[str, Any]]] = {config: [] for config in CONFIGS}
    for article in incident.articles:
        text = article.normalized.text
        sentences = segment(text)
        sentence_spans: dict[int, list[Span]] = defaultdict(list)
        crossing: set[int] = set()
        for span in spans_by_article.get(article.article_id, []):
            index = sentence_of(sentences, span)
            sentence_spans[index].append(span)
            if crosses_sentence(sentences[index], span):
                crossing.add(index)
        for index, sentence in enumerate(sentences):
            sentence_id = f"{article.article_id}-s{index:03d}"
            spans = sentence_spans[index]
            flags = sorted(
                {f.kind for f in article.normalized.flags if f.start < sentence.end and sentence.start < f.end}
                | ({"span_crosses_sentence"} if index in crossing else set())
            )
            rows["sentences"].append(
                {
                    "sentence_id": sentence_id,
                    "incident_id": incident.incident_id,
                    "article_id": article.article_id,
                    "source": incident.source,
                    "sentence_index": index,
                    "start": sentence.start,
                    "end": sentence.end,
                    "text": sentence.text,
                    "elements": _sorted_unique((s.element for s in spans), taxonomy.elements),
                    "types": _sorted_unique((s.label for s in spans), taxonomy.type_names),
                    "label_source": label_source,
                    "quality_flags": flags,
                    "duplicate_group": text_key(sentence.text)[:16],
                }
            )
            for number, span in enumerate(spans):
                rows["spans"].append(
                    {
                        "span_id": f"{sentence_id}-{number:02d}",
                        "incident_id": incident.incident_id,
                        "article_id": article.article_id,
                        "sentence_id": sentence_id,
                        "start": span.start,
                        "end": span.end,
                        "text": text[span.start : span.end],
                        "element": span.element,
                        "type": span.label,
                        "label_source": label_source,
                    }
                )
        rows["articles"].append(
            {
                "article_id": article.article_id,
                "incident_id": incident.incident_id,
                **{k: article.meta.get(k) for k in ("title", "publisher", "url", "published", "retrieved", "language")},
                "original_language": article.meta.get("original_language"),
                "machine_translated": article.meta.get("machine_translated", False),
                "license": article.meta["license"],
                "redistributable": article.meta["redistributable"],
                "text": text,
                "raw_sha256": hashlib.sha256(article.raw_text.encode()).hexdigest(),
                "normalizer_version": NORMALIZER_VERSION,
                "normalization_fixes": [f"{f.kind}: {f.detail}" for f in article.normalized.fixes],
            }
        )
    sentence_rows = rows["sentences"]
    extra = {k: incident.extra.get(k) for k in ("duplicate_of", "covered_entity", "covered_entity_type", "state",
                                                "individuals_affected", "breach_submission_date",
                                                "business_associate_present")}
    rows["incidents"].append(
        {
            "incident_id": incident.incident_id,
            "title": incident.title,
            "source": incident.source,
            "date": incident.date,
            "summary": incident.summary,
            "label_source": label_source,
            "annotator": incident.annotations.annotator,
            "reviewer": incident.annotations.reviewer,
            "guideline_version": incident.annotations.guideline_version,
            "article_ids": [a.article_id for a in incident.articles],
            "elements": _sorted_unique((e for r in sentence_rows for e in r["elements"]), taxonomy.elements),
            "types": _sorted_unique((t for r in sentence_rows for t in r["types"]), taxonomy.type_names),
            "num_sentences": len(sentence_rows),
            **extra,
            "type_of_breach": incident.extra.get("type_of_breach", []),
            "location_of_breached_information": incident.extra.get("location_of_breached_information", []),
        }
    )
    return rows


def quality_report(incidents: list[IncidentInput], agreement_dir: Path) -> dict[str, Any]:
    """Review changes against rules_v1, agreement on the doubly annotated texts, OCR consistency."""
    taxonomy = load_taxonomy()
    rules = load_rules()
    by_id = {i.incident_id: i for i in incidents}
    review_pairs, consistency_rows = [], []
    for incident in incidents:
        if incident.annotations.status != "gold" or incident.extra.get("duplicate_of"):
            continue
        gold_by_article = _annotation_spans(incident)
        for article in incident.articles:
            review_pairs.append((suggest_spans(article.normalized.text, rules), gold_by_article.get(article.article_id, [])))
        if incident.source == hhs_ocr.SOURCE_ID:
            actions = {s.type for spans in gold_by_article.values() for s in spans if s.element == "action"}
            consistency_rows.append((incident.incident_id, incident.extra["type_of_breach"], actions))
    agreement_items = []
    for path in sorted(agreement_dir.glob("*.yaml")) if agreement_dir.exists() else []:
        second = load_annotations(path)
        incident = by_id[second.incident_id]
        text = incident.articles[0].normalized.text
        first = _annotation_spans(incident)[incident.articles[0].article_id]
        agreement_items.append((text, first, resolve_spans(text, second.articles[0].spans)))
    return {
        "review_changes": review_changes(review_pairs).as_dict(),
        "agreement": agreement(agreement_items, taxonomy.elements, taxonomy.type_names) if agreement_items else None,
        "breach_type_consistency": breach_type_consistency(consistency_rows),
    }


def make_rows(incidents: list[IncidentInput]) -> tuple[dict[str, dict[str, list[dict[str, Any]]]], dict[str, list[str]]]:
    """Rows of every config and split, and the incident ids of every split (all sorted)."""
    errors: list[SeedError] = []
    release: dict[str, dict[str, list[dict[str, Any]]]] = {c: {s: [] for s in SPLITS} for c in CONFIGS}
    split_ids: dict[str, list[str]] = {s: [] for s in SPLITS}
    for incident in sorted(incidents, key=lambda i: i.incident_id):
        try:
            rows = incident_rows(incident)
        except SeedErrors as many:
            errors.extend(many.errors)
            continue
        split = assign_split(incident.split_group)
        split_ids[split].append(incident.incident_id)
        for config, config_rows in rows.items():
            release[config][split].extend(config_rows)
    if errors:
        raise SeedErrors(errors)
    counts = Counter(r["duplicate_group"] for split in SPLITS for r in release["sentences"][split])
    for split in SPLITS:
        for row in release["sentences"][split]:
            row["duplicate_count"] = counts[row["duplicate_group"]]
    return release, split_ids


# --- write (I/O) ------------------------------------------------------------------------------


def encode_rows(config: str, rows: list[dict[str, Any]]) -> Any:
    """A pyarrow Table with the config's HF features embedded; names become ClassLabel ints."""
    import pyarrow as pa

    features = release_features()[config]
    encoded = [features.encode_example(row) for row in rows]
    return pa.Table.from_pylist(encoded, schema=features.arrow_schema)


def write_parquet(table: Any, path: Path) -> None:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    # Fixed options: the same rows and the same pyarrow version give the same bytes.
    pq.write_table(table, path, compression="zstd", compression_level=9, row_group_size=1_000_000, write_statistics=True)


def parquet_path(config: str, split: str) -> str:
    return f"{config}/{split}-00000-of-00001.parquet"


def splits_with_rows(release: dict[str, dict[str, list[Any]]], config: str) -> list[str]:
    """The splits a config has rows in: `datasets` cannot open an empty split, so those are left out.

    Only a small project (a handful of incidents) has one; the full release has rows everywhere.
    """
    return [split for split in SPLITS if release[config][split]]


def write_release(
    release: dict[str, dict[str, list[dict[str, Any]]]],
    split_ids: dict[str, list[str]],
    quality: dict[str, Any],
    out: Path,
    root: Path,
    progress: Callable[[str], None] = lambda _: None,
    left_out: list[dict[str, Any]] | None = None,
) -> None:
    from .card import write_card_files

    num_bytes: dict[tuple[str, str], int] = {}
    for config in CONFIGS:
        for split in splits_with_rows(release, config):
            table = encode_rows(config, release[config][split])
            num_bytes[config, split] = table.nbytes
            write_parquet(table, out / parquet_path(config, split))
        progress(f"wrote {config}: " + ", ".join(f"{s} {len(release[config][s])}" for s in SPLITS))
    for split, ids in split_ids.items():
        (out / "splits").mkdir(parents=True, exist_ok=True)
        (out / "splits" / f"{split}.txt").write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    (out / "annotation-quality.json").write_text(json.dumps(quality, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    write_card_files(release, num_bytes, quality, out, root, left_out)
    progress("wrote the card, its plots and croissant.json")


def swap_in(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new`` with renames, so a reader never sees half a release."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    new.rename(target)
    if old.exists():
        shutil.rmtree(old)


def write_json_schemas(root: Path) -> None:
    """``schemas/*.schema.json``, derived from the seed-file models (and so from labels.yaml)."""
    for name, text in json_schemas().items():
        path = root / "schemas" / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def build_to(
    root: Path, out: Path, progress: Callable[[str], None] = lambda _: None, only_redistributable: bool = False
) -> dict[str, Any]:
    """Build the release of ``root`` into ``out`` atomically; returns summary counts.

    ``only_redistributable`` leaves out the texts whose licence forbids redistribution (the
    variant to publish), and the card lists them.
    """
    incidents, warnings = collect(root, progress)
    for warning in warnings:
        progress(f"warning: {warning}")
    left_out = None
    if only_redistributable:
        incidents, left_out = redistributable_only(incidents)
        progress(f"left out {len(left_out)} article(s) that may not be redistributed")
    release, split_ids = make_rows(incidents)
    quality = quality_report(incidents, root / HHS_AGREEMENT_DIR)
    progress("measured review changes, agreement and consistency with OCR's breach types")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the release is for everyone to read
    try:
        write_release(release, split_ids, quality, staging, root, progress, left_out)
        swap_in(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return {
        "incidents": {s: len(ids) for s, ids in split_ids.items()},
        "sentences": {s: len(release["sentences"][s]) for s in SPLITS},
    }


def stale_files(built: Path, committed: Path) -> list[str]:
    """Files that differ between a fresh build and the committed release (relative paths)."""

    def listing(folder: Path) -> dict[str, bytes]:
        if not folder.exists():
            return {}
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    fresh, current = listing(built), listing(committed)
    return sorted(name for name in fresh.keys() | current.keys() if fresh.get(name) != current.get(name))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
