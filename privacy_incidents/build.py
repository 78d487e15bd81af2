"""seeds/ -> rows -> dataset/ (atomic, deterministic).

Three stages: ``collect`` runs every registered source's adapter and attaches each incident's
labels (I/O, all problems gathered), ``make_rows`` turns incidents into the rows of every
config (pure), ``write_release`` writes Parquet, the card and the split lists into a temporary
folder that is swapped in whole. No source is named here: sources are in ``seeds/sources.yaml``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .align import AlignmentError, Span, crosses_sentence, place_spans, sentence_of
from .atomic import swap_in, write_atomic
from .layout import LINKS_FILE, OUT_OF_SCOPE_FILE, QUALITY_FILE, SPLITS_FOLDER, parquet_path, splits_with_rows
from .normalize import NORMALIZER_VERSION, normalizing_with_cache, text_key
from .project import Project, using
from .quality import agreement, breach_type_consistency, review_changes
from .schema import CONFIGS, SPLITS, AnnotationFile, json_schemas, load_taxonomy, release_features
from .seedfiles import SeedError, SeedErrors, gathered, load_annotations, load_yaml
from .segment import SegmentationError, SegmentCache, Sentence, segment
from .sources import AGREEMENT_FOLDER, IncidentInput, SourceRead, read_registered, registry
from .splits import assign_split
from .suggest import SuggestionCache, load_rules, silver_annotations, suggest_spans

LINKS_SEED = "links.yaml"


@dataclass(frozen=True)
class Link:
    """Incidents of different sources that report one real-world incident: they share a split."""

    incidents: list[str]
    how: str


@dataclass
class Collected(SourceRead):
    """What every source read (incidents, now with their labels; out-of-scope documents; warnings),
    with the project's second annotations and cross-source links."""

    agreement: list[tuple[Path, AnnotationFile]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


# --- collect (I/O) ----------------------------------------------------------------------------


def _relabelled(annotations: AnnotationFile, incident: IncidentInput) -> AnnotationFile:
    """A repeat filing's copy of the first filing's labels, under its own ids."""
    return annotations.model_copy(
        update={
            "incident_id": incident.incident_id,
            "articles": [a.model_copy(update={"article_id": incident.incident_id}) for a in annotations.articles],
        }
    )


def attach_annotations(incident: IncidentInput, suggest: Callable[[str], list[Span]] | None = None) -> IncidentInput:
    """The incident's labels: its annotation file when there is one (checked, never overwritten), else silver."""
    path = incident.annotation_path
    if path is None or not path.exists():
        incident.annotations = silver_annotations(
            incident.incident_id, [(a.article_id, a.normalized.text) for a in incident.articles], suggest
        )
        return incident
    annotations = load_annotations(path)
    if annotations.incident_id != incident.label_id:
        raise SeedError(path, f"incident_id {annotations.incident_id!r} is not the incident this file belongs to ({incident.label_id!r})", 1)
    incident.annotations = _relabelled(annotations, incident) if incident.labels_from else annotations
    return incident


def _second_annotation(path: Path, by_label: dict[str, IncidentInput]) -> tuple[Path, AnnotationFile]:
    """One second annotation, checked like the first (so validate fails wherever the build would)."""
    second = load_annotations(path)
    if second.incident_id != path.stem:
        raise SeedError(path, f"incident_id {second.incident_id!r} differs from the file name {path.stem!r}", 1)
    incident = by_label.get(second.incident_id)
    if incident is None:
        raise SeedError(path, f"no incident {second.incident_id!r} in this source to compare with")
    _resolve_all(incident, second, path)
    return path, second


def _source_agreement(folder: Path, by_label: dict[str, IncidentInput]) -> tuple[list[tuple[Path, AnnotationFile]], list[SeedError]]:
    """Second annotations kept for the agreement study (``seeds/<source>/agreement/``)."""
    errors: list[SeedError] = []
    paths = sorted((folder / AGREEMENT_FOLDER).glob("*.yaml")) if (folder / AGREEMENT_FOLDER).is_dir() else []
    found = [pair for path in paths if (pair := gathered(errors, _second_annotation, path, by_label))]
    return found, errors


def collect(root: Path, progress: Callable[[str], None] = lambda _: None, use_cache: bool = True) -> Collected:
    """Every incident of every registered source; raises ``SeedErrors`` with all problems found.

    Normalised texts and rules_v1's silver suggestions go through caches under ``.cache/``
    (``use_cache=False``: none); the result is the same either way.
    """
    with using(root) as project, normalizing_with_cache(project.cache / "normalized.json" if use_cache else None):
        suggestions = SuggestionCache(project.cache / "suggestions.json" if use_cache else None)
        errors: list[SeedError] = []
        collected = Collected([])
        try:
            sources = registry(project)
        except SeedError as error:
            raise SeedErrors([error]) from None
        for source in sources:
            read = gathered(errors, read_registered, source)
            if read is None:
                continue
            for incident in read.incidents:
                if gathered(errors, attach_annotations, incident, suggestions.spans) is not None:
                    collected.incidents.append(incident)
            by_label = {i.incident_id: i for i in read.incidents if i.annotations is not None}
            agreement, problems = _source_agreement(source.folder, by_label)
            collected.agreement += agreement
            errors += problems
            collected.out_of_scope += read.out_of_scope
            collected.warnings += read.warnings
            progress(f"read {len(read.incidents)} incident(s) of {source.id}" + (f", {len(read.out_of_scope)} out of scope" if read.out_of_scope else ""))
        suggestions.save()
        errors.extend(check_unique(collected.incidents))
        try:
            collected.links = read_links(project.seeds / LINKS_SEED, {i.incident_id for i in collected.incidents})
        except SeedErrors as many:
            errors.extend(many.errors)
        if errors:
            raise SeedErrors(errors)
        return collected


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


def read_links(path: Path, incident_ids: set[str]) -> list[Link]:
    """``seeds/links.yaml``: sets of incidents (of different sources) that are one real-world incident."""
    if not path.exists():
        return []
    raw = load_yaml(path)
    if not isinstance(raw, list):
        raise SeedErrors([SeedError(path, "expected a list of links, each with incidents (a list of ids) and how", 1)])
    links, errors = [], []
    for entry in raw:
        line = entry.get("__line__") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or set(entry) - {"__line__"} != {"incidents", "how"} or not isinstance(entry["incidents"], list):
            errors.append(SeedError(path, "each link needs exactly incidents (a list of two or more ids) and how (how it was found and confirmed)", line))
            continue
        unknown = [i for i in entry["incidents"] if i not in incident_ids]
        if unknown or len(entry["incidents"]) < 2:
            errors.append(SeedError(path, f"a link names two or more incidents of the release; unknown: {unknown}", line))
            continue
        links.append(Link(sorted(entry["incidents"]), entry["how"]))
    if errors:
        raise SeedErrors(errors)
    return links


@dataclass
class Variant:
    """A release without the texts whose licence forbids a use; what was left out is listed in its card."""

    name: str
    why: str
    keeps: Callable[[dict[str, Any]], bool]
    left_out: list[dict[str, Any]] = field(default_factory=list)

    def apply(self, incidents: list[IncidentInput]) -> tuple[list[IncidentInput], Variant]:
        """The incidents with only the articles this variant keeps, and the variant with what it left out (pure).

        An incident left with no article is left out whole; its split does not change (the split
        key does not depend on which articles are kept), so the variant's splits are subsets of
        the full release's.
        """
        kept, left_out = [], []
        for incident in incidents:
            articles = [a for a in incident.articles if self.keeps(a.meta)]
            left_out += [
                {"incident_id": incident.incident_id, "article_id": a.article_id, "publisher": a.meta["publisher"],
                 "license": a.meta["license"], "incident_left_out": not articles}
                for a in incident.articles if not self.keeps(a.meta)
            ]
            if not articles:
                continue
            ids = {a.article_id for a in articles}
            annotations = incident.annotations.model_copy(
                update={"articles": [a for a in incident.annotations.articles if a.article_id in ids]}
            )
            kept.append(dataclasses.replace(incident, articles=articles, annotations=annotations))
        return kept, dataclasses.replace(self, left_out=left_out)


VARIANTS = {
    "redistributable": Variant("redistributable", "their licence forbids redistribution", lambda meta: meta["redistributable"]),
    "commercial": Variant(
        "commercial", "their licence forbids redistribution or commercial use (e.g. CC BY-NC-SA)",
        lambda meta: meta["redistributable"] and meta.get("commercial_use", False),
    ),
}


# --- rows (pure) ------------------------------------------------------------------------------


def _resolve_all(incident: IncidentInput, annotations: AnnotationFile, path: Path) -> dict[str, list[Span]]:
    """Place every article's spans of ``annotations`` in ``incident``'s texts; all problems together."""
    by_article = {a.article_id: a for a in incident.articles}
    errors, resolved = [], {}
    for article_annotations in annotations.articles:
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


def annotation_spans(incident: IncidentInput) -> dict[str, list[Span]]:
    """The spans of every article of an incident, resolved once (offsets into the normalised text)."""
    return _resolve_all(incident, incident.annotations, incident.annotation_path or incident.articles[0].path)


def _sorted_unique(values: Any, order: tuple[str, ...]) -> list[str]:
    present = set(values)
    return [v for v in order if v in present]


def incident_rows(incident: IncidentInput, segmenter: Callable[[str], list[Sentence]] = segment) -> dict[str, list[dict[str, Any]]]:
    """The rows one incident contributes to every config (labels still as names)."""
    taxonomy = load_taxonomy()
    spans_by_article = annotation_spans(incident)
    label_source = incident.annotations.status
    rows: dict[str, list[dict[str, Any]]] = {config: [] for config in CONFIGS}
    for article in incident.articles:
        text = article.normalized.text
        try:
            sentences = segmenter(text)
        except SegmentationError as error:
            raise SeedError(article.path, f"article {article.article_id}: {error}") from None
        sentence_spans: dict[int, list[Span]] = defaultdict(list)
        crossing: set[int] = set()
        for span in spans_by_article.get(article.article_id, []):
            try:
                index = sentence_of(sentences, span)
            except AlignmentError as error:
                path = incident.annotation_path or article.path
                raise SeedError(path, f"incident {incident.incident_id}, article {article.article_id}: {error}") from None
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
                "source": incident.source,
                **{k: article.meta.get(k) for k in ("title", "publisher", "url", "published", "retrieved", "language")},
                "original_language": article.meta.get("original_language"),
                "machine_translated": article.meta.get("machine_translated", False),
                "license": article.meta["license"],
                "attribution": article.meta.get("attribution"),
                "redistributable": article.meta["redistributable"],
                "commercial_use": article.meta.get("commercial_use", False),
                "text": text,
                "raw_sha256": hashlib.sha256(article.raw_text.encode()).hexdigest(),
                "normalizer_version": NORMALIZER_VERSION,
                "normalization_fixes": [f"{f.kind}: {f.detail}" for f in article.normalized.fixes],
            }
        )
    sentence_rows = rows["sentences"]
    incident_row = {
        "incident_id": incident.incident_id,
        "title": incident.title,
        "source": incident.source,
        "date": incident.date,
        "summary": incident.summary,
        "label_source": label_source,
        "annotator": incident.annotations.annotator,
        "annotator_kind": incident.annotations.annotator_kind,
        "reviewer": incident.annotations.reviewer,
        "review": incident.annotations.review,
        "guideline_version": incident.annotations.guideline_version,
        "article_ids": [a.article_id for a in incident.articles],
        "elements": _sorted_unique((e for r in sentence_rows for e in r["elements"]), taxonomy.elements),
        "types": _sorted_unique((t for r in sentence_rows for t in r["types"]), taxonomy.type_names),
        "num_sentences": len(sentence_rows),
        "source_fields": json.dumps(incident.extra, sort_keys=True, ensure_ascii=False, default=str),
    }
    # Every other column is a structured field of the source: declared once, in the features.
    for name, feature in release_features()["incidents"].items():
        if name not in incident_row:
            incident_row[name] = incident.extra.get(name, [] if hasattr(feature, "feature") else None)
    rows["incidents"].append(incident_row)
    return rows


def quality_report(
    incidents: list[IncidentInput], agreement_files: list[tuple[Path, AnnotationFile]],
    suggest: Callable[[str], list[Span]] | None = None,
) -> dict[str, Any]:
    """Review changes against rules_v1, agreement on the doubly annotated texts, consistency with a source's own breach types.

    ``suggest`` is rules_v1's suggester (or a cache standing in for it)."""
    taxonomy = load_taxonomy()
    if suggest is None:
        rules = load_rules()
        suggest = lambda text: suggest_spans(text, rules)  # noqa: E731
    by_id = {i.incident_id: i for i in incidents}
    review_pairs: dict[str, list[Any]] = defaultdict(list)
    consistency_rows = []
    for incident in incidents:
        if incident.annotations.status != "gold" or incident.labels_from:
            continue
        gold_by_article = annotation_spans(incident)
        for article in incident.articles:
            review_pairs[incident.source].append((suggest(article.normalized.text), gold_by_article.get(article.article_id, [])))
        if "type_of_breach" in incident.extra:  # a source that states its own breach type (OCR's form field)
            actions = {s.type for spans in gold_by_article.values() for s in spans if s.element == "action"}
            consistency_rows.append((incident.incident_id, incident.extra["type_of_breach"], actions))
    agreement_items: dict[str, list[Any]] = defaultdict(list)
    study_items: dict[tuple[str, str], list[Any]] = defaultdict(list)  # by source and the guidelines read
    for path, second in agreement_files:
        incident = by_id.get(second.incident_id)
        if incident is None or incident.annotations.status != "gold":
            continue  # left out of this variant, or its first annotation is not decided yet: never compare with silver
        first = annotation_spans(incident)
        second_spans = _resolve_all(incident, second, path)
        for article in incident.articles:
            item = (article.normalized.text, first.get(article.article_id, []), second_spans.get(article.article_id, []))
            agreement_items[incident.source].append(item)
            study_items[incident.source, second.guideline_version].append(item)
    pooled = [item for items in agreement_items.values() for item in items]
    return {
        "review_changes": review_changes([pair for pairs in review_pairs.values() for pair in pairs]).as_dict(),
        "review_changes_by_source": {source: review_changes(pairs).as_dict() for source, pairs in sorted(review_pairs.items())},
        "agreement": agreement(pooled, taxonomy.elements, taxonomy.type_names) if pooled else None,
        "agreement_by_source": {
            source: agreement(items, taxonomy.elements, taxonomy.type_names) for source, items in sorted(agreement_items.items())
        },
        # One study a source and guideline version: a source annotated again under new calls is measured again.
        "agreement_by_study": [
            {"source": source, "guideline_version": version, **agreement(items, taxonomy.elements, taxonomy.type_names)}
            for (source, version), items in sorted(study_items.items())
        ],
        "breach_type_consistency": breach_type_consistency(consistency_rows),
    }


def split_groups(incidents: list[IncidentInput], links: list[Link]) -> dict[str, str]:
    """Incident id -> the key its split is drawn from: its own group, merged across linked incidents.

    A linked set takes the smallest key of its members, so an incident that was alone keeps
    its split when a later source links to it (when its key is the smallest).
    """
    parent = {i.incident_id: i.split_group for i in incidents}
    groups: dict[str, set[str]] = defaultdict(set)
    for incident in incidents:
        groups[incident.split_group].add(incident.incident_id)
    merged = {key: key for key in groups}

    def root(key: str) -> str:
        while merged[key] != key:
            key = merged[key]
        return key

    for link in links:
        keys = sorted({root(parent[i]) for i in link.incidents if i in parent})
        for key in keys[1:]:
            merged[key] = keys[0]
    return {incident_id: root(group) for incident_id, group in parent.items()}


def make_rows(
    incidents: list[IncidentInput], links: list[Link] | None = None, segmenter: Callable[[str], list[Sentence]] = segment
) -> tuple[dict[str, dict[str, list[dict[str, Any]]]], dict[str, list[str]]]:
    """Rows of every config and split, and the incident ids of every split (all sorted)."""
    errors: list[SeedError] = []
    release: dict[str, dict[str, list[dict[str, Any]]]] = {c: {s: [] for s in SPLITS} for c in CONFIGS}
    split_ids: dict[str, list[str]] = {s: [] for s in SPLITS}
    group_of = split_groups(incidents, links or [])
    for incident in sorted(incidents, key=lambda i: i.incident_id):
        rows = gathered(errors, incident_rows, incident, segmenter)
        if rows is None:
            continue
        split = assign_split(group_of[incident.incident_id])
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


def _label_encoder(feature: Any) -> Callable[[Any], Any] | None:
    """Names -> ClassLabel integers for a column (or a list column) of labels; None for other columns."""
    from datasets import ClassLabel

    inner = getattr(feature, "feature", None)
    if isinstance(feature, ClassLabel):
        index = {name: i for i, name in enumerate(feature.names)}
        return lambda value: index[value]
    if isinstance(inner, ClassLabel):
        index = {name: i for i, name in enumerate(inner.names)}
        return lambda values: [index[v] for v in values]
    return None


def encode_rows(config: str, rows: list[dict[str, Any]]) -> Any:
    """A pyarrow Table with the config's HF features embedded; names become ClassLabel ints.

    Column by column (``Features.encode_example`` row by row took 15 s on the grown release);
    pyarrow still checks every value against the schema.
    """
    import pyarrow as pa

    features = release_features()[config]
    columns = {}
    for name, feature in features.items():
        values = [row[name] for row in rows]
        encode = _label_encoder(feature)
        columns[name] = [encode(v) for v in values] if encode else values
    return pa.Table.from_pydict(columns, schema=features.arrow_schema)


def write_parquet(table: Any, path: Path) -> None:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    # Fixed options: the same rows and the same pyarrow version give the same bytes.
    pq.write_table(table, path, compression="zstd", compression_level=9, row_group_size=1_000_000, write_statistics=True)


def write_release(
    release: dict[str, dict[str, list[dict[str, Any]]]],
    split_ids: dict[str, list[str]],
    quality: dict[str, Any],
    out: Path,
    project: Project,
    progress: Callable[[str], None] = lambda _: None,
    variant: Variant | None = None,
    collected: Collected | None = None,
) -> None:
    from .card import write_card_files

    num_bytes: dict[tuple[str, str], int] = {}
    for config in CONFIGS:
        for split in splits_with_rows(release, config):
            table = encode_rows(config, release[config][split])
            num_bytes[config, split] = table.nbytes
            write_parquet(table, out / parquet_path(config, split))
        progress(f"wrote {config}: " + ", ".join(f"{s} {len(release[config][s])}" for s in SPLITS))
    (out / SPLITS_FOLDER).mkdir(parents=True, exist_ok=True)
    for split, ids in split_ids.items():
        (out / SPLITS_FOLDER / f"{split}.txt").write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    if collected is not None:
        (out / SPLITS_FOLDER / LINKS_FILE).write_text(
            "".join(json.dumps(dataclasses.asdict(link), ensure_ascii=False, sort_keys=True) + "\n" for link in collected.links),
            encoding="utf-8",
        )
        (out / OUT_OF_SCOPE_FILE).write_text(
            "".join(json.dumps(dataclasses.asdict(o), ensure_ascii=False, sort_keys=True) + "\n" for o in collected.out_of_scope),
            encoding="utf-8",
        )
    (out / QUALITY_FILE).write_text(json.dumps(quality, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    write_card_files(release, num_bytes, quality, out, project.root, variant, collected)
    progress("wrote the card, its plots and croissant.json")


def write_json_schemas(root: Path) -> None:
    """``schemas/*.schema.json``, derived from the seed-file models (and so from labels.yaml)."""
    with using(root) as project:
        for name, text in json_schemas().items():
            path = project.schemas / name
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                write_atomic(path, text)


def stale_schemas(root: Path) -> list[str]:
    """The committed JSON Schemas that differ from a fresh render."""
    with using(root) as project:
        return sorted(
            f"schemas/{name}" for name, text in json_schemas().items()
            if not (project.schemas / name).exists() or (project.schemas / name).read_text(encoding="utf-8") != text
        )


def build_to(
    root: Path, out: Path, progress: Callable[[str], None] = lambda _: None, variant: Variant | None = None
) -> dict[str, Any]:
    """Build the release of ``root`` into ``out`` atomically; returns summary counts.

    ``variant`` leaves out the texts whose licence forbids a use (redistribution, commercial
    use): the variant to publish, whose card lists what was left out and states the licences
    of what is in.
    """
    with using(root) as project:
        collected = collect(root, progress)
        for warning in collected.warnings:
            progress(f"warning: {warning}")
        incidents = collected.incidents
        if variant is not None:
            incidents, variant = variant.apply(incidents)
            progress(f"left out {len(variant.left_out)} article(s): {variant.why}")
        cache = SegmentCache(project.cache / "segments.json")
        release, split_ids = make_rows(incidents, collected.links, cache.segment)
        cache.save()
        suggestions = SuggestionCache(project.cache / "suggestions.json")
        quality = quality_report(incidents, collected.agreement, suggestions.spans)
        suggestions.save()
        progress("measured review changes, agreement and consistency with the sources' own breach types")
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        staging.chmod(0o755)  # mkdtemp makes it private; the release is for everyone to read
        try:
            write_release(release, split_ids, quality, staging, project, progress, variant, collected)
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
