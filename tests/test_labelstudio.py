"""Label Studio round trip: export tasks, review them as Label Studio would, import gold back.

The reviewer is simulated in Label Studio's documented JSON export format (guide "Task format"):
each prediction becomes a submitted annotation with ids, times, completed_by and lead_time.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from privacy_incidents.align import Span, place_spans
from privacy_incidents.build import annotation_spans, collect, make_rows
from privacy_incidents import labelstudio
from privacy_incidents.labelstudio import (
    config_path,
    export_label_studio,
    import_label_studio,
    labeling_config,
    spans_from_export,
)
from privacy_incidents.schema import GUIDELINE_VERSION, load_taxonomy
from privacy_incidents.seedfiles import SeedError, SeedErrors, load_annotations

from .conftest import PROJECT_ROOT, SEED_INCIDENT

FIRST, SECOND = "000_8076d5bb2484816b", "002_9ed64316b2d10b74"
REVIEWER = "Ada Reviewer"


# --- helpers ------------------------------------------------------------------------------------


def export_tasks(project: Path) -> list[dict[str, Any]]:
    out = project / "review" / "tasks.json"
    assert export_label_studio(project, out) == 2
    return json.loads(out.read_text(encoding="utf-8"))


def submit(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What Label Studio's JSON export holds after a reviewer accepted every prediction as is."""
    exported = []
    for number, task in enumerate(tasks):
        task_id, prediction_id, annotation_id = 100 + number, 500 + number, 900 + number
        prediction = {
            "id": prediction_id,
            "model_version": task["predictions"][0]["model_version"],
            "created_ago": "2 hours",
            "result": task["predictions"][0]["result"],
            "score": None,
            "cluster": None,
            "neighbors": None,
            "mislabeling": 0.0,
            "created_at": "2026-11-23T09:00:00.000000Z",
            "updated_at": "2026-11-23T09:00:00.000000Z",
            "task": task_id,
            "project": 7,
        }
        annotation = {
            "id": annotation_id,
            "completed_by": 3,
            "result": [dict(item, origin="prediction") for item in prediction["result"]],
            "was_cancelled": False,
            "ground_truth": False,
            "created_at": "2026-11-23T10:15:02.118203Z",
            "updated_at": "2026-11-23T10:15:02.118230Z",
            "draft_created_at": "2026-11-23T10:14:40.500112Z",
            "lead_time": 312.457,
            "prediction": prediction,
            "result_count": 0,
            "unique_id": f"5b0c1e2a-0000-4000-8000-{annotation_id:012d}",
            "import_id": None,
            "last_action": None,
            "task": task_id,
            "project": 7,
            "updated_by": 3,
            "parent_prediction": prediction_id,
            "parent_annotation": None,
            "last_created_by": None,
        }
        exported.append(
            {
                "id": task_id,
                "annotations": [annotation],
                "file_upload": "c0ffee12-tasks.json",
                "drafts": [],
                "predictions": [prediction],
                "data": task["data"],
                "meta": {},
                "created_at": "2026-11-23T08:59:59.000000Z",
                "updated_at": "2026-11-23T10:15:02.200000Z",
                "inner_id": number + 1,
                "total_annotations": 1,
                "cancelled_annotations": 0,
                "total_predictions": 1,
                "comment_count": 0,
                "unresolved_comment_count": 0,
                "last_comment_updated_at": None,
                "project": 7,
                "updated_by": 3,
                "comment_authors": [],
            }
        )
    return exported


def write_export(project: Path, exported: list[dict[str, Any]]) -> Path:
    path = project / "review" / "project-7-at-2026-11-23.json"
    path.write_text(json.dumps(exported, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def region(result_id: str, text: str, start: int, end: int, label: str) -> dict[str, Any]:
    """A region as Label Studio saves a manual selection."""
    return {
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
        "id": result_id,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "origin": "manual",
    }


def to_span(item: dict[str, Any]) -> Span:
    element, type_name = item["value"]["labels"][0].split(":")
    return Span(item["value"]["start"], item["value"]["end"], element, type_name)


def seed_bytes(project: Path) -> dict[str, bytes]:
    seeds = project / "seeds"
    return {str(p.relative_to(seeds)): p.read_bytes() for p in sorted(seeds.rglob("*")) if p.is_file()}


def current_spans(project: Path) -> dict[str, list[Span]]:
    incidents = collect(project).incidents
    (incident,) = [i for i in incidents if i.incident_id == SEED_INCIDENT]
    return annotation_spans(incident)


def texts(project: Path) -> dict[str, str]:
    incidents = collect(project).incidents
    (incident,) = [i for i in incidents if i.incident_id == SEED_INCIDENT]
    return {a.article_id: a.normalized.text for a in incident.articles}


def refused(project: Path, exported: list[dict[str, Any]], names_export: bool = True) -> str:
    """Import ``exported``; it must be refused with no seed file changed. Returns the message."""
    before = seed_bytes(project)
    with pytest.raises(SeedErrors) as caught:
        import_label_studio(project, write_export(project, exported), reviewer=REVIEWER)
    assert seed_bytes(project) == before, "a refused import changed a seed file"
    assert not list((project / "seeds").rglob("*.tmp")), "a refused import left a temporary file"
    message = str(caught.value)
    if names_export:  # errors about tasks name the export file
        assert "project-7-at-2026-11-23.json" in message
    return message


# --- labelling config and export ----------------------------------------------------------------


def test_config_is_xml_listing_every_type_name_once():
    taxonomy = load_taxonomy()
    root = ET.fromstring(labeling_config(taxonomy))
    (labels,) = root.iter("Labels")
    (text,) = root.iter("Text")
    values = [label.get("value") for label in labels.iter("Label")]
    assert values == list(taxonomy.type_names)  # each once, grouped by element in taxonomy order
    assert labels.get("toName") == text.get("name") and text.get("value") == "$text"
    colours = {v.split(":")[0]: label.get("background") for v, label in zip(values, labels.iter("Label"))}
    assert len(set(colours.values())) == len(taxonomy.elements)  # one colour per element
    assert all(label.get("background") == colours[label.get("value").split(":")[0]] for label in labels.iter("Label"))


def test_config_style_keeps_white_space_in_the_text_of_label_studio_1_23():
    """Label Studio 1.23 renders the text as span.lsf-richtext__line with white-space: normal, so a
    Style for the old .htx-text alone did nothing there (found in the real app; the screenshot
    script, scripts/labelstudio/screenshot_review.py, checks the computed style in Chromium)."""
    (style,) = ET.fromstring(labeling_config(load_taxonomy())).iter("Style")
    selectors, rule = style.text.split("{")
    assert {s.strip() for s in selectors.split(",")} >= {".lsf-richtext__line", ".htx-text"}
    assert rule.strip() == "white-space: pre-wrap; }"


def test_export_writes_tasks_and_config_deterministically(project, tmp_path):
    first, second = tmp_path / "a" / "tasks.json", tmp_path / "b" / "tasks.json"
    assert export_label_studio(project, first) == export_label_studio(project, second) == 2
    assert first.read_bytes() == second.read_bytes()
    assert config_path(first).name == "tasks.config.xml" and config_path(first).read_bytes() == config_path(second).read_bytes()
    tasks = json.loads(first.read_text(encoding="utf-8"))
    spans, article_texts = current_spans(project), texts(project)
    for task in tasks:
        data = task["data"]
        assert data["incident_id"] == SEED_INCIDENT and data["label_source"] == "gold"
        assert data["text"] == article_texts[data["article_id"]]
        result = task["predictions"][0]["result"]
        assert [to_span(item) for item in result] == spans[data["article_id"]]
        assert all(item["value"]["text"] == data["text"][item["value"]["start"] : item["value"]["end"]] for item in result)
        assert len({item["id"] for item in result}) == len(result)


def test_export_of_an_unknown_incident_names_valid_ones(project, tmp_path):
    with pytest.raises(SeedError) as caught:
        export_label_studio(project, tmp_path / "tasks.json", ["no-such-incident"])
    assert "no-such-incident" in str(caught.value) and SEED_INCIDENT in str(caught.value)
    assert not (tmp_path / "tasks.json").exists()


# --- round trips ---------------------------------------------------------------------------------


def test_unedited_round_trip_keeps_every_span(project, seed_folder):
    before = current_spans(project)
    written = import_label_studio(project, write_export(project, submit(export_tasks(project))), reviewer=REVIEWER)
    assert written == [seed_folder / "annotations.yaml"]
    assert current_spans(project) == before
    make_rows(collect(project).incidents)  # the project still builds


def test_edited_round_trip_writes_exactly_the_reviewed_spans(project, seed_folder):
    exported = submit(export_tasks(project))
    text = exported[0]["data"]["text"]
    result = exported[0]["annotations"][0]["result"]
    assert exported[0]["data"]["article_id"] == FIRST
    deleted = result.pop(3)  # the reviewer removes a span ...
    result[0]["value"]["labels"] = ["consequence:regulatory_action"]  # ... retypes one ...
    result[0]["origin"] = "prediction-changed"
    second_reuters = text.index("Reuters", text.index("Reuters") + 1)  # ... and adds one (a repeated word)
    result.append(region("xY3kq_Lm9P", text, second_reuters, second_reuters + len("Reuters"), "actor:other_external"))
    expected = {
        task["data"]["article_id"]: sorted(map(to_span, task["annotations"][0]["result"]), key=lambda s: (s.start, s.end))
        for task in exported
    }
    assert to_span(deleted) not in expected[FIRST] and len(expected[FIRST]) == len(current_spans(project)[FIRST])

    written = import_label_studio(project, write_export(project, exported), reviewer=REVIEWER)

    assert written == [seed_folder / "annotations.yaml"]
    saved = load_annotations(written[0])
    # The labels were gold (decided by a model annotator): the import records a full second reading.
    assert (saved.status, saved.reviewer, saved.review, saved.guideline_version) == ("gold", REVIEWER, "full", GUIDELINE_VERSION)
    assert (saved.annotator_kind, saved.annotator) == ("model", load_annotations(PROJECT_ROOT / "seeds" / "incidents" / SEED_INCIDENT / "annotations.yaml").annotator)
    article_texts = texts(project)
    for article in saved.articles:
        spans, problems = place_spans(article_texts[article.article_id], article.spans)
        assert not problems and spans == expected[article.article_id]
    assert any(s.quote == "Reuters" and s.occurrence == 2 for s in saved.articles[0].spans)
    assert current_spans(project) == expected


def test_latest_submitted_annotation_wins_and_cancelled_ones_are_ignored():
    text = "Hackers stole names."
    # Times of different precision on purpose: as strings, "10:00:00Z" would sort after "10:00:00.5Z".
    older = {"id": 1, "was_cancelled": False, "updated_at": "2026-11-23T10:00:00Z",
             "result": [region("a", text, 0, 7, "actor:criminal_hacker")]}
    newer = {"id": 2, "was_cancelled": False, "updated_at": "2026-11-23T10:00:00.5Z",
             "result": [region("b", text, 8, 13, "action:theft")]}
    skipped = {"id": 3, "was_cancelled": True, "updated_at": "2026-11-24T00:00:00Z", "result": []}
    task = {"id": 5, "data": {"text": text, "incident_id": "i", "article_id": "a"}, "annotations": [newer, skipped, older]}
    assert spans_from_export([task], load_taxonomy()) == {("i", "a"): (text, [Span(8, 13, "action", "theft")])}


# --- refusals: the message names the task and the problem; no seed file changes -------------------


def test_unknown_label_is_refused(project):
    exported = submit(export_tasks(project))
    exported[1]["annotations"][0]["result"][2]["value"]["labels"] = ["actor:alien"]
    message = refused(project, exported)
    assert "task 101" in message and "result 2" in message
    assert "'actor:alien' is not in the taxonomy" in message and "actor:insider_employee" in message


def test_offsets_that_do_not_match_the_text_are_refused(project):
    exported = submit(export_tasks(project))
    exported[0]["annotations"][0]["result"][1]["value"]["start"] += 1
    message = refused(project, exported)
    assert "task 100" in message and "result 1" in message and "offsets do not match the text" in message


def test_changed_text_is_refused(project, seed_folder):
    exported = submit(export_tasks(project))
    article = seed_folder / f"{SECOND}.txt"
    article.write_text(article.read_text(encoding="utf-8").replace("staffers", "workers", 1), encoding="utf-8")
    message = refused(project, exported)
    assert "task 101" in message and SECOND in message and "the text changed since export; export again" in message


@pytest.mark.parametrize("annotations", [[], [{"id": 901, "was_cancelled": True, "result": [], "completed_by": 3}]])
def test_task_without_a_submitted_annotation_is_refused(project, annotations):
    exported = submit(export_tasks(project))
    exported[1]["annotations"] = annotations
    message = refused(project, exported)
    assert "task 101" in message and "no submitted annotation" in message


def test_missing_article_of_a_multi_article_incident_is_refused(project):
    exported = submit(export_tasks(project))[:1]
    message = refused(project, exported)
    assert SEED_INCIDENT in message and f"no reviewed task for article(s) {SECOND}" in message


def test_every_problem_is_listed_at_once(project):
    exported = submit(export_tasks(project))
    first = exported[0]["annotations"][0]["result"]
    first[0]["type"] = "choices"
    first[1]["value"]["labels"] = ["actor:insider_employee", "actor:organisation"]
    first[2]["value"]["end"] = 10**6
    del exported[1]["data"]["article_id"]
    with pytest.raises(SeedErrors) as caught:
        spans_from_export(exported, load_taxonomy(), Path("export.json"))
    messages = [str(error) for error in caught.value.errors]
    assert len(messages) == 4 and all(m.startswith("export.json: task 10") for m in messages)
    assert "result 0" in messages[0] and "not 'labels'" in messages[0]
    assert "result 1" in messages[1] and "exactly one label" in messages[1]
    assert "result 2" in messages[2] and "outside the text" in messages[2]
    assert "task 101" in messages[3] and "article_id" in messages[3]


def test_overlapping_regions_are_refused(project):
    exported = submit(export_tasks(project))
    result = exported[0]["annotations"][0]["result"]
    text = exported[0]["data"]["text"]
    start, end = result[0]["value"]["start"], result[0]["value"]["end"]
    assert text[end : end + 3] == " on"
    result.append(region("overlap01", text, start, end + 3, "consequence:notification"))
    message = refused(project, exported)
    assert "task 100" in message and "overlaps" in message


def test_a_file_that_would_lose_a_span_is_not_written(project, monkeypatch):
    """The written file is reparsed and resolved before it replaces the seed file."""
    dump = labelstudio.dump_annotations
    monkeypatch.setattr(
        labelstudio, "dump_annotations", lambda file, *args, **kwargs: "".join(line + "\n" for line in dump(file, *args, **kwargs).splitlines() if "quote: saw," not in line)
    )
    message = refused(project, submit(export_tasks(project)), names_export=False)
    assert "annotations.yaml" in message and FIRST in message and "does not resolve to the reviewed spans" in message
