"""Bad seed files: a clear error naming file, line or incident and what is valid; nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from privacy_incidents.cli import main

from .conftest import SEED_INCIDENT


def run_validate(project: Path, capsys) -> str:
    assert main(["--root", str(project), "validate"]) == 1
    return capsys.readouterr().err


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} missing from {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_valid_project_validates(project, capsys):
    assert main(["--root", str(project), "validate"]) == 0
    assert "1 incidents valid" in capsys.readouterr().out


def test_malformed_yaml_names_file_and_line(project, seed_folder, capsys):
    replace_in(seed_folder / "annotations.yaml", "status: gold", "status: [gold")
    err = run_validate(project, capsys)
    assert "annotations.yaml:" in err and "malformed YAML" in err
    line = int(err.split("annotations.yaml:")[1].split(":")[0])
    # "status: [gold" is line 5; the parser notices the missing "]" where the next line starts.
    assert line == 6


def test_unknown_element_lists_the_valid_ones(project, seed_folder, capsys):
    replace_in(seed_folder / "annotations.yaml", "element: consequence, type: notification", "element: outcome, type: notification")
    err = run_validate(project, capsys)
    assert "'outcome' is not valid" in err and "'consequence'" in err and "annotations.yaml:" in err


def test_unknown_type_lists_the_types_of_its_element(project, seed_folder, capsys):
    replace_in(seed_folder / "annotations.yaml", "type: notification", "type: press_release")
    err = run_validate(project, capsys)
    assert "press_release" in err and "personnel_action" in err


def test_type_of_another_element_is_refused(project, seed_folder, capsys):
    replace_in(seed_folder / "annotations.yaml", "element: consequence, type: notification", "element: actor, type: notification")
    err = run_validate(project, capsys)
    assert "not a type of actor" in err and "insider_employee" in err


def test_quote_not_found_shows_the_nearest_text(project, seed_folder, capsys):
    replace_in(seed_folder / "annotations.yaml", "quote: incorrectly accessed", "quote: incorectly accessed")
    err = run_validate(project, capsys)
    assert "not found" in err and "nearest text: 'incorrectly accessed" in err
    assert SEED_INCIDENT in err and "000_8076d5bb2484816b" in err


def test_ambiguous_quote_asks_for_an_occurrence(project, seed_folder, capsys):
    replace_in(seed_folder / "annotations.yaml", "{quote: employees, occurrence: 1,", "{quote: employees,")
    err = run_validate(project, capsys)
    assert "ambiguous" in err and "occurrence" in err


def copy_seed_incident(seed_folder: Path) -> Path:
    """The seed incident again under a new id, ``copy-of-seed`` (same articles, same ids)."""
    copy = seed_folder.parent / "copy-of-seed"
    shutil.copytree(seed_folder, copy)
    for name in ("incident.yaml", "annotations.yaml"):
        replace_in(copy / name, "incident_id: bytedance-tiktok-journalists-2022", "incident_id: copy-of-seed")
    return copy


def test_duplicate_incident_ids_are_refused(project, seed_folder, capsys):
    copy_seed_incident(seed_folder)
    err = run_validate(project, capsys)
    assert "duplicate article id '000_8076d5bb2484816b'" in err


def test_same_article_text_twice_is_refused(project, seed_folder, capsys):
    copy = copy_seed_incident(seed_folder)
    for name in ("incident.yaml", "annotations.yaml"):
        replace_in(copy / name, "000_8076d5bb2484816b", "100_copy")
        replace_in(copy / name, "002_9ed64316b2d10b74", "102_copy")
    err = run_validate(project, capsys)
    assert "same text as article '000_8076d5bb2484816b'" in err and SEED_INCIDENT in err


def test_incident_folder_name_must_match_its_id(project, seed_folder, capsys):
    replace_in(seed_folder / "incident.yaml", "incident_id: bytedance-tiktok-journalists-2022", "incident_id: other-id")
    err = run_validate(project, capsys)
    assert "differs from its folder name" in err


@pytest.mark.parametrize("bad_id", ["../escape", "a/b", "a\\b"])
def test_ids_with_path_separators_are_refused(project, seed_folder, capsys, bad_id):
    replace_in(seed_folder / "incident.yaml", "article_id: 000_8076d5bb2484816b", f"article_id: '{bad_id}'")
    err = run_validate(project, capsys)
    assert "article_id" in err and "pattern" in err


def test_non_utf8_article_is_refused(project, seed_folder, capsys):
    (seed_folder / "000_8076d5bb2484816b.txt").write_bytes("caf\xe9 article".encode("latin-1"))
    err = run_validate(project, capsys)
    assert "000_8076d5bb2484816b.txt" in err and "not UTF-8" in err


def test_empty_article_is_refused(project, seed_folder, capsys):
    (seed_folder / "002_9ed64316b2d10b74.txt").write_text("  \n\n", encoding="utf-8")
    err = run_validate(project, capsys)
    assert "002_9ed64316b2d10b74.txt" in err and "empty" in err


def test_unknown_key_in_incident_file_is_refused(project, seed_folder, capsys):
    replace_in(seed_folder / "incident.yaml", "title: ByteDance employees", "titel: x\ntitle: ByteDance employees")
    err = run_validate(project, capsys)
    assert "titel" in err and "incident.yaml:" in err


def test_all_problems_are_listed_at_once(project, seed_folder, capsys):
    replace_in(seed_folder / "annotations.yaml", "quote: incorrectly accessed", "quote: incorectly accessed")
    replace_in(seed_folder / "annotations.yaml", "quote: were fired", "quote: were fried")
    err = run_validate(project, capsys)
    assert "'incorectly accessed' not found" in err and "'were fried' not found" in err
    assert "2 problem(s) found" in err


def placed_spans(project: Path) -> dict[str, list]:
    from privacy_incidents.build import annotation_spans, attach_annotations
    from privacy_incidents.sources.folders import read_folder

    return annotation_spans(attach_annotations(read_folder(project / "seeds" / "incidents" / SEED_INCIDENT, "news")))


def test_fix_repairs_only_what_cannot_change_a_span(project, seed_folder, capsys):
    before = placed_spans(project)
    path = seed_folder / "annotations.yaml"
    replace_in(path, "{quote: incorrectly accessed,", "{quote: ' incorrectly accessed ',")  # spaces at the ends
    replace_in(path, "{quote: were fired,", "{quote: were fired, occurrence: 1,")  # a needless occurrence
    replace_in(path, "      - {quote: saw,", "      - {quote: saw, element: action, type: unauthorised_access}\n      - {quote: saw,")
    assert "spaces at its ends" in run_validate(project, capsys)

    assert main(["--root", str(project), "validate", "--fix"]) == 0
    err = capsys.readouterr().err
    assert "trimmed spaces around quote ' incorrectly accessed '" in err
    assert "dropped occurrence: quote 'were fired' appears once" in err
    assert "removed a second, identical listing of span 'saw'" in err
    assert placed_spans(project) == before  # the same characters, the same labels
    assert path.read_text(encoding="utf-8").startswith("# Gold annotations of the seed incident")  # header kept


def test_fix_leaves_what_needs_a_person(project, seed_folder, capsys):
    path = seed_folder / "annotations.yaml"
    replace_in(path, "{quote: were fired,", "{quote: were fired, occurrence: 1,")
    replace_in(path, "quote: incorrectly accessed", "quote: incorectly accessed")  # a typo: only a reader can fix it
    corrupted = path.read_bytes()
    assert main(["--root", str(project), "validate", "--fix"]) == 1
    err = capsys.readouterr().err
    assert "not fixed: other problems need a person first" in err and "'incorectly accessed' not found" in err
    assert path.read_bytes() == corrupted


def test_validate_a_path_shows_only_its_problems(project, seed_folder, capsys):
    other = copy_seed_incident(seed_folder)
    for name in ("incident.yaml", "annotations.yaml"):  # new article ids (the first mention: not the file names)
        replace_in(other / name, "000_8076d5bb2484816b", "100_copy")
        replace_in(other / name, "002_9ed64316b2d10b74", "102_copy")
    # New texts in the copy: the copied quotes are not in them, so that incident has problems too.
    (other / "000_8076d5bb2484816b.txt").write_text("A clinic lost a laptop with patient names.\n", encoding="utf-8")
    (other / "002_9ed64316b2d10b74.txt").write_text("A hacker stole the records of 500 patients.\n", encoding="utf-8")
    replace_in(seed_folder / "annotations.yaml", "quote: were fired", "quote: were fried")

    assert main(["--root", str(project), "validate", str(other)]) == 1
    err = capsys.readouterr().err
    assert "copy-of-seed" in err and "quote 'announced' not found" in err
    assert "were fried" not in err  # the other incident's problem is not shown
    assert main(["--root", str(project), "validate", str(seed_folder / "annotations.yaml")]) == 1
    err = capsys.readouterr().err
    assert "'were fried' not found" in err and "copy-of-seed" not in err
