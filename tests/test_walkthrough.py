"""The README's walkthrough, command by command, on a small copy of the project (the seed incident
and the first 40 OCR records: every split has incidents, and it builds in seconds).

Add an article from a saved HTML page, review its labels in Label Studio (export, an edited
export in Label Studio's JSON format, import), validate, rebuild, re-evaluate, and load it.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from datasets import load_dataset

from privacy_incidents.cli import main

from .conftest import copy_project
from .test_extend import PAGE
from .test_labelstudio import region, submit

INCIDENT = "general-hospital-snooping-2024"


def run(project: Path, *args: str) -> None:
    assert main(["--root", str(project), *args]) == 0, f"privacy-incidents {' '.join(args)} failed"


def test_add_review_validate_build_evaluate(tmp_path, capsys):
    project = copy_project(tmp_path / "project", with_hhs=True, hhs_records=40)
    page = tmp_path / "saved-page.html"
    page.write_text(PAGE, encoding="utf-8")

    # 1. Add the article: suggested labels, silver.
    run(project, "new", INCIDENT, "--from", str(page), "--license", "copyright Example News",
        "--summary", "A nurse at General Hospital looked at 300 patients' records without authorisation and was fired.")
    # 2. Review in Label Studio: export, then what Label Studio exports after the reviewer's edits.
    run(project, "export", "label-studio", "--incident", INCIDENT, "--out", str(tmp_path / "review.json"))
    tasks = json.loads((tmp_path / "review.json").read_text(encoding="utf-8"))
    assert (tmp_path / "review.config.xml").exists() and len(tasks) == 1
    exported = submit(tasks)
    text = tasks[0]["data"]["text"]
    result = exported[0]["annotations"][0]["result"]
    result[:] = [item for item in result if item["value"]["text"] != "snooped"]  # the headline repeats the story
    start = text.index("300 patients")
    result.append(region("reviewer-1", text, start, start + len("300 patients"), "data_accessed:health"))
    (tmp_path / "export.json").write_text(json.dumps(exported), encoding="utf-8")
    run(project, "import", "label-studio", str(tmp_path / "export.json"), "--reviewer", "Ada Reviewer")
    annotations = yaml.safe_load((project / "seeds" / "incidents" / INCIDENT / "annotations.yaml").read_text(encoding="utf-8"))
    # Suggestions corrected by a person become that person's annotation (nobody else read it).
    assert (annotations["status"], annotations["annotator_kind"], annotations["review"]) == ("gold", "person", "none")
    assert annotations["annotator"].startswith("Ada Reviewer")
    quotes = {span["quote"] for span in annotations["articles"][0]["spans"]}
    assert "300 patients" in quotes and "snooped" not in quotes

    # 3. Validate, rebuild, re-evaluate.
    run(project, "validate")
    run(project, "build")
    run(project, "evaluate", "--baseline", "complement_nb_v1")
    assert (project / "baselines" / "results" / "complement_nb_v1.json").exists()

    # 4. It is in the release, gold, with its spans at the right offsets.
    cache = str(tmp_path / "hf-cache")
    incidents = load_dataset(str(project / "dataset"), "incidents", cache_dir=cache)
    rows = [(split, row) for split, rows in incidents.items() for row in rows if row["incident_id"] == INCIDENT]
    assert len(rows) == 1
    split, row = rows[0]
    assert incidents[split].features["label_source"].int2str(row["label_source"]) == "gold"
    spans = load_dataset(str(project / "dataset"), "spans", cache_dir=cache)[split]
    articles = load_dataset(str(project / "dataset"), "articles", cache_dir=cache)[split]
    article_text = next(a["text"] for a in articles if a["incident_id"] == INCIDENT)
    mine = [s for s in spans if s["incident_id"] == INCIDENT]
    assert {s["text"] for s in mine} == quotes
    assert all(article_text[s["start"] : s["end"]] == s["text"] for s in mine)
