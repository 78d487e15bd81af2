"""Label Studio round trip: seed annotations -> review tasks -> reviewed export -> gold seed files.

Label Studio is where people review labels in a browser. ``export_label_studio`` writes one task
per article in Label Studio's JSON task format, with the current spans (silver suggestions or
existing gold) as ``predictions``, and the labelling config (XML) next to it.
``import_label_studio`` reads the project's "JSON" export back and writes gold annotation files.

Formats (Label Studio documentation, "Task format", "Import pre-annotated data", tags ``Text``
and ``Labels``): a task is ``{"data": {...}, "predictions": [{"model_version", "result"}]}``; an
export is a list of tasks, each with ``id``, ``data``, ``annotations`` (``id``, ``result``,
``was_cancelled``, ``completed_by``, ``created_at``, ``updated_at``, ...) and ``predictions``. A
span region is a result ``{"id", "from_name", "to_name", "type": "labels", "value": {"start",
"end", "text", "labels": [...]}}`` with offsets in characters of ``data.text``.

Choices made on import (see ``spans_from_export``):

- of a task's annotations, the one used is the latest that was not cancelled (skipped): the
  greatest ``updated_at`` (``created_at`` when it is missing), ties broken by the greater id;
- a task with no such annotation was not reviewed: that is an error, never empty gold;
- every problem of the export is collected and raised at once as ``SeedErrors`` naming the
  export file, the task and the result; problems against the current seeds (unknown incident,
  changed text, an incident's article not reviewed) follow once the export itself is clean;
- a region must have exactly one label, lie inside the text, agree with its ``value.text``, not
  start or end with white space and not overlap another (the seed format's rules);
- nothing is written unless every task and every file checks out.

>>> from privacy_incidents.align import Span
>>> task = article_task("inc-1", "art-1", "Hackers stole names.", [Span(0, 7, "actor", "criminal_hacker")], "silver", "rules_v1")
>>> task["predictions"][0]["result"][0]["value"]
{'start': 0, 'end': 7, 'text': 'Hackers', 'labels': ['actor:criminal_hacker']}
"""

from __future__ import annotations

import datetime as dt
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .align import Span, place_spans
from .build import annotation_spans, collect
from .schema import (
    GUIDELINE_VERSION,
    LABEL_SOURCES,
    AnnotationFile,
    ArticleAnnotations,
    Taxonomy,
    load_taxonomy,
)
from .seedfiles import SeedError, SeedErrors, dump_annotations, load_annotations, stage_file, write_atomic
from .sources import IncidentInput
from .suggest import spans_to_annotations

# Names tying results to the config: results carry them as from_name / to_name.
FROM_NAME = "label"
TO_NAME = "text"
CONFIG_SUFFIX = ".config.xml"
DEFAULT_ANNOTATOR = "{reviewer}, in Label Studio, deciding every span from rules_v1's suggestions"
# Heads a file the import creates (an existing file keeps its own comments).
IMPORTED_HEADER = "# Reviewed in Label Studio; written by `privacy-incidents import label-studio`. Edit by hand or re-import.\n"
# Keeps runs of white space visible in the text (offsets count them): older Label Studio renders the
# text in .htx-text; 1.23 (tested) in one span.lsf-richtext__line per line, white-space: normal unless told.
TEXT_STYLE = ".htx-text, .lsf-richtext__line { white-space: pre-wrap; }"
# One colour per element, by the element's position in the taxonomy (cycled if it grows).
ELEMENT_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
# How many valid ids an "unknown incident" error shows.
SHOWN_IDS = 5


# --- config and tasks (pure) --------------------------------------------------------------------


def config_path(out: Path) -> Path:
    """Where the labelling config of the tasks file ``out`` goes: ``<stem>.config.xml`` beside it."""
    return out.with_name(out.stem + CONFIG_SUFFIX)


def labeling_config(taxonomy: Taxonomy) -> str:
    """The Label Studio labelling config: one ``Labels`` control of every ``element:type`` over ``$text``.

    Labels come in taxonomy order (so grouped by element), coloured by element, with the type's
    description as the hover hint. The style keeps the text's line breaks and double spaces
    visible, because offsets count every character.
    """
    view = ET.Element("View")
    ET.SubElement(view, "Style").text = TEXT_STYLE
    labels = ET.SubElement(view, "Labels", name=FROM_NAME, toName=TO_NAME, choice="single")
    for number, element in enumerate(taxonomy.elements):
        colour = ELEMENT_COLOURS[number % len(ELEMENT_COLOURS)]
        for type_name in taxonomy.types_by_element[element]:
            name = f"{element}:{type_name}"
            ET.SubElement(labels, "Label", value=name, background=colour, hint=taxonomy.descriptions[name])
    ET.SubElement(view, "Text", name=TO_NAME, value="$text")
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


def region_id(article_id: str, index: int) -> str:
    """A result id that is the same for the same article and span: article ids are unique."""
    return f"{article_id}-{index:03d}"


def article_task(
    incident_id: str,
    article_id: str,
    text: str,
    spans: Iterable[Span],
    label_source: str,
    model_version: str,
) -> dict[str, Any]:
    """One Label Studio task for one article, its current spans as a prediction to review."""
    if label_source not in LABEL_SOURCES:
        raise ValueError(f"label_source {label_source!r} is not one of {', '.join(LABEL_SOURCES)}")
    result = []
    for index, span in enumerate(sorted(spans, key=lambda s: (s.start, s.end))):
        result.append(
            {
                "id": region_id(article_id, index),
                "from_name": FROM_NAME,
                "to_name": TO_NAME,
                "type": "labels",
                "value": {"start": span.start, "end": span.end, "text": text[span.start : span.end], "labels": [span.label]},
            }
        )
    return {
        "data": {"text": text, "incident_id": incident_id, "article_id": article_id, "label_source": label_source},
        "predictions": [{"model_version": model_version, "result": result}],
    }


# --- reading an export (pure) ------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewedTask:
    """One task of an export with the spans of its chosen annotation."""

    task: str  # how messages name it: "task 12 (incident X, article Y)"
    incident_id: str
    article_id: str
    text: str
    spans: list[Span]


class _Problem(ValueError):
    """A problem with one result; the caller adds where it is."""


def _timestamp(value: Any) -> dt.datetime:
    """An annotation's time, comparable across precisions (string order is not: '08Z' > '08.5Z')."""
    if value in (None, ""):
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise _Problem(f"updated_at {value!r} is not an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _id_order(value: Any) -> tuple[int, str]:
    """Numeric ids by number (Label Studio's are integers), anything else after them by text."""
    text = str(value) if value is not None else ""
    return (int(text), "") if text.isdigit() else (1 << 62, text)


def latest_annotation(annotations: Any) -> dict[str, Any] | None:
    """The latest annotation that was not cancelled (by updated_at, then id), or None."""
    submitted = [a for a in annotations or [] if isinstance(a, dict) and not a.get("was_cancelled")]
    if not submitted:
        return None
    return max(submitted, key=lambda a: (_timestamp(a.get("updated_at") or a.get("created_at")), _id_order(a.get("id"))))


def _same_text(expected: str, given: str) -> bool:
    """``value.text`` against the text at the offsets.

    Label Studio may save a region's text with runs of white space collapsed while its offsets
    stay right (label-studio issue #3078), so runs of white space count as one space; any
    other difference means the offsets point elsewhere.
    """
    return expected == given or " ".join(expected.split()) == " ".join(given.split())


def _valid_labels(label: str, taxonomy: Taxonomy) -> str:
    element = label.split(":", 1)[0] if isinstance(label, str) else None
    if element in taxonomy.types_by_element:
        return f"valid {element} labels: " + ", ".join(f"{element}:{t}" for t in taxonomy.types_by_element[element])
    return "labels are element:type, with element one of " + ", ".join(taxonomy.elements)


def result_span(item: Any, text: str, taxonomy: Taxonomy) -> Span:
    """One result of an annotation as a span of ``text``; ``_Problem`` says what is wrong."""
    if not isinstance(item, dict):
        raise _Problem(f"is a {type(item).__name__}, not a result object")
    if item.get("type") != "labels":
        raise _Problem(
            f"has type {item.get('type')!r}, not 'labels': only span labels can be imported "
            "(remove relations, comments and other controls from the review)"
        )
    if (item.get("from_name"), item.get("to_name")) != (FROM_NAME, TO_NAME):
        raise _Problem(
            f"is from {item.get('from_name')!r} to {item.get('to_name')!r}; the labelling config written by "
            f"`export label-studio` has from_name {FROM_NAME!r} and to_name {TO_NAME!r}"
        )
    value = item.get("value")
    if not isinstance(value, dict):
        raise _Problem("has no value object")
    labels = value.get("labels")
    if not isinstance(labels, list) or len(labels) != 1:
        raise _Problem(f"has labels {labels!r}; a region takes exactly one label (split it into one region per label)")
    label = labels[0]
    if label not in taxonomy.type_names:
        raise _Problem(f"label {label!r} is not in the taxonomy; {_valid_labels(label, taxonomy)}")
    start, end = value.get("start"), value.get("end")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise _Problem(f"offsets {start!r}:{end!r} are not whole numbers")
    if not 0 <= start < end <= len(text):
        raise _Problem(f"offsets {start}:{end} lie outside the text (valid: 0 <= start < end <= {len(text)})")
    marked = text[start:end]
    given = value.get("text")
    # value.text may be left out (the Text tag documents it as optional); when given, it must agree.
    if given is not None and not (isinstance(given, str) and _same_text(marked, given)):
        raise _Problem(
            f"value.text {given!r} is not the text at offsets {start}:{end} ({marked!r}): the offsets do not match the text"
        )
    if marked != marked.strip():
        raise _Problem(f"region {marked!r} at {start}:{end} starts or ends with white space; select the words only")
    element, type_name = label.split(":", 1)
    return Span(start, end, element, type_name)


def _task_name(index: int, task: dict[str, Any]) -> str:
    task_id = task.get("id")
    return f"task {task_id}" if task_id is not None else f"task #{index + 1} (no id)"


def _task_data(task: dict[str, Any]) -> tuple[str, str, str]:
    """``data.text``, ``data.incident_id``, ``data.article_id``, or ``_Problem`` naming what is missing."""
    data = task.get("data")
    if not isinstance(data, dict):
        raise _Problem("has no data object")
    missing = [key for key in ("text", "incident_id", "article_id") if not isinstance(data.get(key), str) or not data[key]]
    if missing:
        raise _Problem(
            f"data has no {', '.join(missing)}; valid tasks are those written by `privacy-incidents export label-studio`"
        )
    return data["text"], data["incident_id"], data["article_id"]


def _overlaps(spans: list[tuple[int, Span]], text: str) -> list[str]:
    """Messages for regions that overlap (seed spans may not); ``spans`` are (result index, span)."""
    ordered = sorted(spans, key=lambda pair: (pair[1].start, pair[1].end))
    return [
        f"result {right_index}: region {text[right.start:right.end]!r} overlaps region "
        f"{text[left.start:left.end]!r} (result {left_index}); spans may not overlap"
        for (left_index, left), (right_index, right) in zip(ordered, ordered[1:])
        if right.start < left.end
    ]


def _review_of(index: int, task: Any, taxonomy: Taxonomy) -> tuple[ReviewedTask | None, list[str]]:
    """One task's text and reviewed spans, or the messages of its problems (each naming the task)."""
    if not isinstance(task, dict):
        return None, [f"task #{index + 1}: is a {type(task).__name__}, not a task object"]
    name = _task_name(index, task)
    try:
        text, incident_id, article_id = _task_data(task)
        name = f"{name} (incident {incident_id}, article {article_id})"
        annotation = latest_annotation(task.get("annotations"))
    except _Problem as problem:
        return None, [f"{name}: {problem}"]
    if annotation is None:
        return None, [
            f"{name}: has no submitted annotation (none, or only skipped ones), so it was not reviewed; "
            "review it in Label Studio, or export only annotated tasks"
        ]
    result = annotation.get("result")
    if not isinstance(result, list):
        return None, [f"{name}, annotation {annotation.get('id')}: has no result list"]
    spans: list[tuple[int, Span]] = []
    problems = []
    for result_index, item in enumerate(result):
        try:
            spans.append((result_index, result_span(item, text, taxonomy)))
        except _Problem as problem:
            region = f" (id {item.get('id')!r})" if isinstance(item, dict) and item.get("id") else ""
            problems.append(f"{name}, result {result_index}{region}: {problem}")
    problems += [f"{name}, {message}" for message in _overlaps(spans, text)]
    ordered = sorted((span for _, span in spans), key=lambda s: (s.start, s.end))
    return ReviewedTask(name, incident_id, article_id, text, ordered), problems


def reviewed_tasks(export: Any, taxonomy: Taxonomy, path: Path = Path("label-studio export")) -> list[ReviewedTask]:
    """Every task of an export with its reviewed spans; all problems raised at once as ``SeedErrors``."""
    if not isinstance(export, list):
        raise SeedErrors([SeedError(path, f"expected a list of tasks (Label Studio's JSON export), found {type(export).__name__}")])
    errors: list[SeedError] = []
    reviewed: dict[tuple[str, str], ReviewedTask] = {}
    for index, task in enumerate(export):
        review, problems = _review_of(index, task, taxonomy)
        errors.extend(SeedError(path, message) for message in problems)
        if review is None:
            continue
        key = (review.incident_id, review.article_id)
        if key in reviewed:
            errors.append(SeedError(path, f"{review.task}: the same article as {reviewed[key].task}; keep one task per article"))
            continue
        reviewed[key] = review
    if errors:
        raise SeedErrors(errors)
    return list(reviewed.values())


def spans_from_export(
    export: Any, taxonomy: Taxonomy, path: Path = Path("label-studio export")
) -> dict[tuple[str, str], tuple[str, list[Span]]]:
    """Per ``(incident_id, article_id)``: the task's text and its reviewed spans (sorted).

    Raises ``SeedErrors`` listing every problem (see ``reviewed_tasks``); a task without a
    submitted annotation is one of them.
    """
    return {(t.incident_id, t.article_id): (t.text, t.spans) for t in reviewed_tasks(export, taxonomy, path)}


# --- I/O at the edges ----------------------------------------------------------------------------


def _select(incidents: list[IncidentInput], incident_ids: list[str] | None, root: Path) -> list[IncidentInput]:
    """The incidents to export: the asked ones or all, never a repeat filing, sorted by id."""
    by_id = {i.incident_id: i for i in incidents}
    if incident_ids is None:
        chosen = list(by_id.values())
    else:
        unknown = sorted(set(incident_ids) - by_id.keys())
        if unknown:
            valid = sorted(i for i, incident in by_id.items() if not incident.extra.get("duplicate_of"))
            raise SeedError(
                root / 'seeds',
                f"unknown incident id(s): {', '.join(unknown)}; valid ids include {', '.join(valid[:SHOWN_IDS])}"
                f" ({len(valid)} in all)",
            )
        repeats = [f"{i} (repeat of {by_id[i].extra['duplicate_of']})" for i in incident_ids if by_id[i].extra.get("duplicate_of")]
        if repeats:
            raise SeedError(
                root / 'seeds',
                f"repeat filing(s) {', '.join(repeats)} share their first filing's labels; export the first filing instead",
            )
        chosen = [by_id[i] for i in dict.fromkeys(incident_ids)]
    # A repeat filing's text and labels are its first filing's: review them once, there.
    return sorted((i for i in chosen if not i.extra.get("duplicate_of")), key=lambda i: i.incident_id)


def export_label_studio(root: Path, out: Path, incident_ids: list[str] | None = None) -> int:
    """Write the review tasks of ``root``'s incidents to ``out`` and the labelling config beside it.

    ``out`` is a JSON list of tasks (UTF-8, indent 1) to import into a Label Studio project;
    ``<stem>.config.xml`` is the project's labelling config. Returns the number of tasks.
    Raises ``SeedError``/``SeedErrors`` for unknown ids or seed files that do not build.
    """
    incidents = collect(root).incidents
    tasks, errors = [], []
    for incident in _select(incidents, incident_ids, root):
        try:
            spans = annotation_spans(incident)
        except SeedErrors as many:  # gather every incident's problems, then stop
            errors.extend(many.errors)
            continue
        for article in incident.articles:
            tasks.append(
                article_task(
                    incident.incident_id,
                    article.article_id,
                    article.normalized.text,
                    spans.get(article.article_id, []),
                    incident.annotations.status,
                    incident.annotations.annotator,
                )
            )
    if errors:
        raise SeedErrors(errors)
    write_atomic(out, json.dumps(tasks, indent=1, ensure_ascii=False) + "\n")
    write_atomic(config_path(out), labeling_config(load_taxonomy()))
    return len(tasks)


def _incident_file(
    incident: IncidentInput, tasks: dict[str, ReviewedTask], reviewer: str, annotator: str, path: Path
) -> tuple[AnnotationFile | None, list[SeedError]]:
    """The gold annotation file of one incident from its reviewed tasks, or the problems found."""
    articles = {a.article_id: a for a in incident.articles}
    if incident.extra.get("duplicate_of"):
        first = incident.extra["duplicate_of"]
        return None, [
            SeedError(path, f"{task.task}: incident {incident.incident_id} is a repeat filing of {first}, whose "
                            f"labels it shares; review and import {first} instead")
            for task in tasks.values()
        ]
    errors = []
    for task in tasks.values():
        if task.article_id not in articles:
            message = f"incident {incident.incident_id} has no article {task.article_id!r}; articles: {', '.join(articles)}"
        elif task.text != articles[task.article_id].normalized.text:
            message = "its text differs from the article's current normalised text: the text changed since export; export again"
        else:
            continue
        errors.append(SeedError(path, f"{task.task}: {message}"))
    missing = [a for a in articles if a not in tasks]
    if missing:
        # One file holds every article of the incident: writing some would drop the others' spans.
        errors.append(
            SeedError(path, f"incident {incident.incident_id}: no reviewed task for article(s) {', '.join(missing)}; "
                            f"its annotation file covers all its articles ({', '.join(articles)}), so review every one")
        )
    if errors:
        return None, errors
    # Labels someone had already decided by reading get a full second reading; rule suggestions
    # become the reviewer's own annotation (they decided every span).
    before = incident.annotations
    provenance = (
        {"annotator": before.annotator, "annotator_kind": before.annotator_kind, "reviewer": reviewer, "review": "full"}
        if before.status == "gold"
        else {"annotator": annotator, "annotator_kind": "person", "reviewer": None, "review": "none"}
    )
    return AnnotationFile(
        incident_id=incident.incident_id,
        status="gold",
        **provenance,
        guideline_version=GUIDELINE_VERSION,
        articles=[
            ArticleAnnotations(article_id=a, spans=spans_to_annotations(tasks[a].text, tasks[a].spans)) for a in articles
        ],
    ), []


def _check_written(temporary: Path, target: Path, incident: IncidentInput, tasks: dict[str, ReviewedTask]) -> list[SeedError]:
    """The staged file reparses and resolves to exactly the reviewed spans: nothing lost or moved."""
    try:
        reread = load_annotations(temporary)
    except (SeedError, SeedErrors) as error:
        return [SeedError(target, f"the file written does not reparse ({error}); nothing was written")]
    errors = []
    by_article = {a.article_id: a.spans for a in reread.articles}
    for article in incident.articles:
        expected = tasks[article.article_id].spans
        spans, problems = place_spans(article.normalized.text, by_article.get(article.article_id, []))
        if problems or spans != expected:
            detail = "; ".join(str(p) for p in problems) or f"{len(spans)} spans placed, {len(expected)} reviewed"
            errors.append(
                SeedError(target, f"article {article.article_id}: the file written does not resolve to the reviewed "
                                  f"spans ({detail}); nothing was written")
            )
    return errors


def import_label_studio(root: Path, export_path: Path, reviewer: str, annotator: str | None = None) -> list[Path]:
    """Turn a Label Studio JSON export into gold annotation files; returns the paths written.

    Each reviewed incident becomes ``status: gold`` with the current guideline version, its
    spans written as quotes. Labels that were gold already keep their annotator and record
    ``reviewer`` with ``review: full``; suggested (silver) labels become the reviewer's own
    annotation (``annotator``, default "<reviewer>, in Label Studio, ...", ``annotator_kind:
    person``). The file's comments are kept. Every task and every file is checked before any file is replaced; on any problem
    ``SeedErrors`` lists them all and no seed file changes.
    """
    if not reviewer or not reviewer.strip():
        raise SeedError(export_path, "a reviewer is required: gold means a person reviewed the labels")
    reviewer = reviewer.strip()
    annotator = annotator or DEFAULT_ANNOTATOR.format(reviewer=reviewer)
    try:
        export = json.loads(export_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeedError(export_path, "file not found") from None
    except UnicodeDecodeError:
        raise SeedError(export_path, "not UTF-8 text; give the file Label Studio's JSON export wrote") from None
    except json.JSONDecodeError as error:
        raise SeedError(export_path, f"not valid JSON: {error.msg} (column {error.colno})", error.lineno) from None
    tasks = reviewed_tasks(export, load_taxonomy(), export_path)
    incidents = collect(root).incidents
    by_id = {i.incident_id: i for i in incidents}

    errors: list[SeedError] = []
    grouped: dict[str, dict[str, ReviewedTask]] = {}
    for task in tasks:
        if task.incident_id not in by_id:
            errors.append(SeedError(export_path, f"{task.task}: no incident {task.incident_id!r} under {root / 'seeds'}"))
            continue
        grouped.setdefault(task.incident_id, {})[task.article_id] = task
    files: list[tuple[IncidentInput, AnnotationFile]] = []
    for incident_id in sorted(grouped):
        annotation_file, problems = _incident_file(by_id[incident_id], grouped[incident_id], reviewer, annotator, export_path)
        errors.extend(problems)
        if annotation_file is not None:
            files.append((by_id[incident_id], annotation_file))
    if errors:
        raise SeedErrors(errors)

    # Stage every file beside its target and check it; rename only when all are good.
    staged: list[tuple[Path, Path]] = []
    try:
        for incident, annotation_file in files:
            target = incident.annotation_path
            previous = target.read_text(encoding="utf-8") if target.exists() else None
            staged.append((stage_file(target, dump_annotations(annotation_file, previous, header=IMPORTED_HEADER)), target))
            errors.extend(_check_written(staged[-1][0], target, incident, grouped[incident.incident_id]))
        if errors:
            raise SeedErrors(errors)
        for temporary, target in staged:
            os.replace(temporary, target)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    return [target for _, target in staged]
