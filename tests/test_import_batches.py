"""scripts/import_annotation_batches.py: how batch annotations and second readings enter the project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from .conftest import PROJECT_ROOT, copy_project

SCRIPT = PROJECT_ROOT / "scripts" / "import_annotation_batches.py"
INCIDENT = "hhs-ocr-0001"


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--root", str(root), *args], capture_output=True, text=True)


def first_annotation(root: Path) -> tuple[Path, dict]:
    path = root / "seeds" / "hhs-ocr" / "annotations" / f"{INCIDENT}.yaml"
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


def batch(tmp_path: Path, spans: list[dict]) -> Path:
    path = tmp_path / "reading.jsonl"
    record = {"incident_id": INCIDENT, "spans": spans, "changed": True, "breach_type_verdict": None}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def test_a_second_reading_keeps_the_first_annotator_and_records_a_full_review(tmp_path):
    root = copy_project(tmp_path / "project", with_hhs=True, hhs_records=5)
    path, before = first_annotation(root)
    spans = before["articles"][0]["spans"][:-1]  # the reader dropped the last span
    result = run(root, "--annotator", "annotator-Y", "--annotator-kind", "model", "--second-reading", str(batch(tmp_path, spans)))
    assert result.returncode == 0, result.stderr
    _, after = first_annotation(root)
    assert (after["annotator"], after["annotator_kind"]) == (before["annotator"], before["annotator_kind"])
    assert after["review"] == "full" and after["reviewer"].startswith("annotator-Y (a language-model annotation agent; a second reading of every span")
    assert after["articles"][0]["spans"] == spans


def test_a_bad_quote_names_the_batch_line_and_writes_nothing(tmp_path):
    root = copy_project(tmp_path / "project", with_hhs=True, hhs_records=5)
    path, _ = first_annotation(root)
    untouched = path.read_bytes()
    spans = [{"quote": "words that are not in the narrative", "element": "action", "type": "theft"}]
    result = run(root, "--annotator", "annotator-Y", "--annotator-kind", "model", "--second-reading", str(batch(tmp_path, spans)))
    assert result.returncode == 1
    assert "reading.jsonl:1:" in result.stderr and "not found in the article" in result.stderr
    assert "nothing was written" in result.stderr
    assert path.read_bytes() == untouched


def test_a_second_reading_refuses_a_review_of_its_own(tmp_path):
    root = copy_project(tmp_path / "project", with_hhs=True, hhs_records=5)
    result = run(root, "--annotator", "annotator-Y", "--annotator-kind", "model", "--second-reading", "--review", "sample",
                 str(batch(tmp_path, [])))
    assert result.returncode == 2 and "--second-reading records the review itself" in result.stderr


def load_script(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_batch_checker_names_each_problem_with_its_output_line():
    from privacy_incidents.project import using

    checker = load_script("annotation_batch")
    text = "Staff records were stolen. The records held names."
    batch = {"x-1": {"incident_id": "x-1", "text": text, "sentences": [[0, 26], [27, 50]]},
             "x-2": {"incident_id": "x-2", "text": text, "sentences": [[0, 26], [27, 50]]}}
    lines = [
        json.dumps({"incident_id": "x-1", "spans": [
            {"quote": "were stolen", "element": "action", "type": "theft"},
            {"quote": "records", "element": "data_accessed", "type": "unspecified"},        # twice in the text
            {"quote": "stolen. The", "element": "action", "type": "theft"},                 # across sentences
        ]}),
        json.dumps({"incident_id": "x-9", "spans": []}),
    ]
    with using(PROJECT_ROOT):
        problems = checker.problems_of(batch, lines)
    assert any(p.startswith("line 1 (x-1)") and "ambiguous" in p for p in problems)
    assert any(p.startswith("line 1 (x-1)") and "crosses a sentence boundary" in p for p in problems)
    assert any(p.startswith("line 1 (x-1)") and "overlaps" in p for p in problems)  # "stolen. The" overlaps "were stolen"
    assert any(p.startswith("line 2:") and "'x-9' is not in this batch" in p for p in problems)
    assert problems[-1].startswith("1 incident(s) of the batch not yet in the output, first: x-2")
    with using(PROJECT_ROOT):
        assert checker.problems_of(batch, [json.dumps({"incident_id": i, "spans": []}) for i in batch]) == []
