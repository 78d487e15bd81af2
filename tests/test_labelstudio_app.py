"""The Label Studio round trip against the real application, not a hand-written export.

A real Label Studio server (``tests/labelstudio_app.py``) gets a project with the labelling config
of ``privacy-incidents export label-studio`` and the exported tasks with their predictions; a
reviewer's annotations are submitted (accept, retype, delete, add); the app's own JSON export goes
through ``privacy-incidents import label-studio``. If Label Studio rejects the config or the
tasks, or exports something the importer cannot read, these tests fail.

Marked ``labelstudio``: skipped when Label Studio is not installed (``bash
scripts/labelstudio/setup_venv.sh`` installs it), unless ``PRIVACY_INCIDENTS_REQUIRE_LABEL_STUDIO=1``
(set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from privacy_incidents.align import Span, place_spans
from privacy_incidents.build import collect
from privacy_incidents.schema import GUIDELINE_VERSION, load_taxonomy
from privacy_incidents.seedfiles import load_annotations

from .conftest import SEED_INCIDENT, copy_project
from .labelstudio_app import LabelStudio, label_studio_executable, running_label_studio

pytestmark = pytest.mark.labelstudio

REVIEWER = "Ada Reviewer"
FIRST, SECOND = "000_8076d5bb2484816b", "002_9ed64316b2d10b74"


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory: pytest.TempPathFactory):
    """One server for the module, stopped (whole process group) however the tests end."""
    executable = label_studio_executable()
    if executable is None:
        message = "Label Studio is not installed: run bash scripts/labelstudio/setup_venv.sh"
        if os.environ.get("PRIVACY_INCIDENTS_REQUIRE_LABEL_STUDIO") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with running_label_studio(executable, tmp_path_factory.mktemp("label-studio")) as server:
        yield server


def cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the ``privacy-incidents`` command of this environment on ``project``."""
    script = Path(sys.executable).with_name("privacy-incidents")
    command = [str(script)] if script.exists() else [shutil.which("privacy-incidents") or "privacy-incidents"]
    return subprocess.run([*command, "--root", str(project), *args], capture_output=True, text=True, timeout=300)


def export_for_review(project: Path) -> tuple[list[dict[str, Any]], str]:
    """``export label-studio`` of the seed incident: the tasks and the labelling config."""
    out = project / "review" / "review.json"
    done = cli(project, "export", "label-studio", "--incident", SEED_INCIDENT, "--out", str(out))
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text(encoding="utf-8")), (project / "review" / "review.config.xml").read_text(encoding="utf-8")


def set_up_project(server: LabelStudio, project: Path, title: str) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """A Label Studio project with our config and tasks; returns its id, our tasks and the app's."""
    tasks, config = export_for_review(project)
    project_id = server.create_project(title, config)
    # The app parsed our config into one Labels control over the Text, with every taxonomy label.
    parsed = server.api("GET", f"/api/projects/{project_id}")["parsed_label_config"]
    assert list(parsed) == ["label"] and parsed["label"]["to_name"] == ["text"]
    assert parsed["label"]["type"] == "Labels" and parsed["label"]["labels"] == list(load_taxonomy().type_names)
    imported = server.import_tasks(project_id, tasks)
    assert (imported["task_count"], imported["prediction_count"]) == (len(tasks), len(tasks))
    in_app = server.tasks(project_id)
    assert [task["data"] for task in in_app] == [task["data"] for task in tasks]
    # The predictions arrive unchanged: the suggestions the reviewer sees are ours.
    assert [task["predictions"][0]["result"] for task in in_app] == [task["predictions"][0]["result"] for task in tasks]
    return project_id, tasks, in_app


def manual_region(region_id: str, text: str, start: int, end: int, label: str) -> dict[str, Any]:
    """A region as the labelling screen saves a new selection."""
    return {
        "id": region_id, "from_name": "label", "to_name": "text", "type": "labels", "origin": "manual",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
    }


def as_span(item: dict[str, Any]) -> Span:
    element, type_name = item["value"]["labels"][0].split(":", 1)
    return Span(item["value"]["start"], item["value"]["end"], element, type_name)


def review(task: dict[str, Any]) -> list[dict[str, Any]]:
    """What a reviewer submits for one task: the first article edited, the second accepted as is."""
    result = copy.deepcopy(task["predictions"][0]["result"])
    for item in result:
        item["origin"] = "prediction"  # accepted suggestions
    if task["data"]["article_id"] != FIRST:
        return result
    text = task["data"]["text"]
    result[0]["value"]["labels"] = ["consequence:regulatory_action"]  # retyped
    result[0]["origin"] = "prediction-changed"
    del result[3]  # deleted
    second = text.index("Reuters", text.index("Reuters") + 1)  # added: a word that occurs twice
    result.append(manual_region("rv-added-1", text, second, second + len("Reuters"), "actor:other_external"))
    return result


def test_reviewed_in_label_studio_imports_as_gold_with_exactly_the_edited_spans(label_studio, tmp_path):
    project = copy_project(tmp_path / "project")
    project_id, tasks, in_app = set_up_project(label_studio, project, "privacy-incidents review")
    submitted: dict[str, list[Span]] = {}
    for task in in_app:
        result = review(task)
        label_studio.annotate(task["id"], result, task["predictions"][0]["id"], lead_time=95.5)
        submitted[task["data"]["article_id"]] = sorted(map(as_span, result), key=lambda s: (s.start, s.end))
    suggested = {t["data"]["article_id"]: sorted(map(as_span, t["predictions"][0]["result"]), key=lambda s: (s.start, s.end)) for t in tasks}
    assert submitted[SECOND] == suggested[SECOND] and submitted[FIRST] != suggested[FIRST]
    assert len(submitted[FIRST]) == len(suggested[FIRST])  # one deleted, one added

    exported = label_studio.export_json(project_id)
    assert [len(task["annotations"]) for task in exported] == [1, 1]
    export_file = project / "review" / f"project-{project_id}-export.json"
    export_file.write_text(json.dumps(exported, indent=2, ensure_ascii=False), encoding="utf-8")

    done = cli(project, "import", "label-studio", str(export_file), "--reviewer", REVIEWER)
    assert done.returncode == 0, done.stderr

    saved = load_annotations(project / "seeds" / "incidents" / SEED_INCIDENT / "annotations.yaml")
    # The seed labels were gold (a model annotator): the reviewer read them all, so review is full.
    assert (saved.status, saved.reviewer, saved.review, saved.guideline_version) == ("gold", REVIEWER, "full", GUIDELINE_VERSION)
    incidents = collect(project).incidents
    (incident,) = [i for i in incidents if i.incident_id == SEED_INCIDENT]
    texts = {a.article_id: a.normalized.text for a in incident.articles}
    placed = {}
    for article in saved.articles:
        spans, problems = place_spans(texts[article.article_id], article.spans)
        assert not problems
        placed[article.article_id] = spans
    assert placed == submitted


def test_a_skipped_task_in_label_studio_is_refused_and_nothing_is_written(label_studio, tmp_path):
    project = copy_project(tmp_path / "project")
    seed_file = project / "seeds" / "incidents" / SEED_INCIDENT / "annotations.yaml"
    before = seed_file.read_bytes()
    project_id, _, in_app = set_up_project(label_studio, project, "privacy-incidents review, one skipped")
    first, second = in_app
    label_studio.annotate(first["id"], review(first), first["predictions"][0]["id"], lead_time=40.0)
    label_studio.api("POST", f"/api/tasks/{second['id']}/annotations", expected=201,
                     json={"result": [], "was_cancelled": True, "lead_time": 3.0})  # the Skip button
    export_file = project / "review" / "export.json"
    export_file.write_text(json.dumps(label_studio.export_json(project_id)), encoding="utf-8")

    done = cli(project, "import", "label-studio", str(export_file), "--reviewer", REVIEWER)

    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"task {second['id']} (incident {SEED_INCIDENT}, article {second['data']['article_id']})" in done.stderr
    assert "no submitted annotation" in done.stderr
    assert seed_file.read_bytes() == before
