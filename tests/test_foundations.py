"""The foundations the release grows on: one project root, one error path, honest provenance,
YAML and Markdown through libraries, a segmenter that never merges silently, atomic writes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from privacy_incidents.cli import main
from privacy_incidents.project import find_project

from .conftest import PROJECT_ROOT, SEED_INCIDENT, copy_project
from .test_bad_input import replace_in, run_validate


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a project but the segmentation cache (.cache/, not part of the project: see .gitignore)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
        if p.is_file() and ".cache" not in p.relative_to(folder).parts
    }


# --- one root --------------------------------------------------------------------------------


def test_the_project_is_found_from_a_folder_inside_it(project):
    inner = project / "seeds" / "incidents" / SEED_INCIDENT
    assert find_project(inner).root.resolve() == project.resolve()


@pytest.mark.parametrize("verb", [["validate"], ["build"], ["score", "--predictions", "p.jsonl"], ["export", "label-studio", "--out", "x.json"]])
def test_a_folder_that_is_not_a_project_is_refused_by_name(tmp_path, capsys, verb):
    assert main(["--root", str(tmp_path), *verb]) == 1
    err = capsys.readouterr().err
    assert f"error: {tmp_path}: not a privacy-incidents project" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written, no empty release


def test_importing_the_package_reads_no_project_file(tmp_path):
    # From a folder that is no project, importing every module must work: no I/O at import.
    code = "import privacy_incidents.build, privacy_incidents.cli, privacy_incidents.card, privacy_incidents.baselines; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_root_decides_every_file_read(project, tmp_path, capsys):
    # A rule file changed in the copy is what `suggest --root copy` uses, wherever it runs from.
    rules = project / "baselines" / "rules_v1.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("    criminal_hacker:\n", "    criminal_hacker:\n      - zorblax\n", 1), encoding="utf-8")
    article = tmp_path / "a.txt"
    article.write_text("The zorblax stole names.", encoding="utf-8")
    assert main(["--root", str(project), "suggest", str(article)]) == 0
    assert '"quote": "zorblax"' in capsys.readouterr().out
    assert main(["--root", str(PROJECT_ROOT), "suggest", str(article)]) == 0
    assert "zorblax" not in capsys.readouterr().out


def test_the_card_and_croissant_do_not_import_the_build():
    code = "import sys, privacy_incidents.card, privacy_incidents.croissant; print('privacy_incidents.build' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


# --- one error path -------------------------------------------------------------------------


def test_a_span_given_by_offsets_on_white_space_is_an_error_with_its_line(project, seed_folder, capsys):
    text = (seed_folder / "002_9ed64316b2d10b74.txt").read_text(encoding="utf-8")
    assert text  # offsets are into the normalised text; a blank between two paragraphs is white space there
    replace_in(
        seed_folder / "annotations.yaml",
        "      - {quote: announced, element: consequence, type: notification}",
        "      - {start: 0, end: 1, element: consequence, type: notification}\n      - {quote: announced, element: consequence, type: notification}",
    )
    from privacy_incidents.build import collect

    article = collect(project).incidents[0].articles[0].normalized.text
    blank = article.index("\n\n")
    replace_in(seed_folder / "annotations.yaml", "{start: 0, end: 1,", f"{{start: {blank}, end: {blank + 2},")
    err = run_validate(project, capsys)
    assert "annotations.yaml:" in err and "cover '\\n\\n'" in err and "white space" in err and "Traceback" not in err


@pytest.fixture
def ocr_project(tmp_path: Path) -> Path:
    """A project with the seed incident and the OCR archive's first 12 records."""
    return copy_project(tmp_path / "project", with_hhs=True, hhs_records=12)


def test_a_faulty_agreement_file_fails_validate_not_only_build(ocr_project, capsys):
    agreement = ocr_project / "seeds" / "hhs-ocr" / "agreement"
    incident = "hhs-ocr-0972"  # a second annotation of a narrative this small project does not hold
    shutil.copy(PROJECT_ROOT / "seeds" / "hhs-ocr" / "agreement" / f"{incident}.yaml", agreement)
    shutil.copy(ocr_project / "seeds" / "hhs-ocr" / "annotations" / "hhs-ocr-0004.yaml", agreement / "hhs-ocr-0004.yaml")
    replace_in(agreement / "hhs-ocr-0004.yaml", "element: action, type: loss_or_disposal", "element: action, type: teleportation")
    err = run_validate(ocr_project, capsys)
    assert "agreement/hhs-ocr-0004.yaml" in err and "'teleportation' is not a type of action" in err
    assert f"agreement/{incident}.yaml" in err  # its incident is not among the kept narratives
    assert main(["--root", str(ocr_project), "build"]) == 1


def test_agreement_is_measured_only_against_a_gold_first_annotation(ocr_project, capsys):
    quality = ocr_project / "dataset" / "annotation-quality.json"
    assert main(["--root", str(ocr_project), "build"]) == 0, capsys.readouterr().err
    with_gold = json.loads(quality.read_text(encoding="utf-8"))["agreement_by_source"]["hhs-ocr"]["texts"]
    # hhs-ocr-0006 is doubly annotated; without its first annotation it is silver, and silver is never a reference.
    (ocr_project / "seeds" / "hhs-ocr" / "annotations" / "hhs-ocr-0006.yaml").unlink()
    assert main(["--root", str(ocr_project), "build"]) == 0, capsys.readouterr().err
    after = json.loads(quality.read_text(encoding="utf-8"))["agreement_by_source"].get("hhs-ocr", {"texts": 0})["texts"]
    assert with_gold >= 1 and after == with_gold - 1


def test_a_misfiled_annotation_file_is_an_error_not_overwritten(ocr_project, capsys):
    path = ocr_project / "seeds" / "hhs-ocr" / "annotations" / "hhs-ocr-0004.yaml"
    replace_in(path, "incident_id: hhs-ocr-0004", "incident_id: hhs-ocr-0008")
    err = run_validate(ocr_project, capsys)
    assert "hhs-ocr-0004.yaml:1: incident_id 'hhs-ocr-0008' is not the incident this file belongs to ('hhs-ocr-0004')" in err


def test_a_csv_with_another_header_is_an_error_naming_line_1(ocr_project, capsys):
    path = ocr_project / "seeds" / "hhs-ocr" / "breach_report_archive.csv"
    replace_in(path, "name_of_covered_entity", "entity")
    err = run_validate(ocr_project, capsys)
    assert "breach_report_archive.csv:1: header" in err and "Traceback" not in err


def test_a_count_that_is_not_a_number_names_its_line(ocr_project, capsys):
    path = ocr_project / "seeds" / "hhs-ocr" / "breach_report_archive.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[1].split(",")
    fields[3] = "about 500"
    lines[1] = ",".join(fields)
    path.write_text("".join(lines), encoding="utf-8")
    err = run_validate(ocr_project, capsys)
    assert "breach_report_archive.csv:2: individuals_affected 'about 500' is not a whole number" in err


def test_validate_fix_on_a_schema_error_reports_instead_of_crashing(project, seed_folder, capsys):
    replace_in(seed_folder / "annotations.yaml", "{quote: were fired,", "{quote: ' were fired ', occurrence: x,")
    assert main(["--root", str(project), "validate", "--fix"]) == 1
    err = capsys.readouterr().err
    assert "occurrence" in err and "Traceback" not in err


def test_suggest_of_a_missing_file_is_an_error(project, tmp_path, capsys):
    assert main(["--root", str(project), "suggest", str(tmp_path / "nope.txt")]) == 1
    assert "nope.txt: no such file" in capsys.readouterr().err


# --- honest provenance ----------------------------------------------------------------------


def test_gold_needs_an_annotator_who_read_and_silver_is_rules_only(project, seed_folder, capsys):
    replace_in(seed_folder / "annotations.yaml", "annotator_kind: model", "annotator_kind: rules")
    assert "status gold needs an annotator who read the text" in run_validate(project, capsys)


def test_a_review_is_never_claimed_without_a_reviewer(project, seed_folder, capsys):
    replace_in(seed_folder / "annotations.yaml", "review: none", "review: full")
    assert "review 'full' needs a reviewer" in run_validate(project, capsys)


def test_the_release_says_who_annotated_and_how_it_was_reviewed():
    import pyarrow.parquet as pq

    rows = [r for split in ("train", "validation", "test")
            for r in pq.read_table(PROJECT_ROOT / "dataset" / "incidents" / f"{split}-00000-of-00001.parquet").to_pylist()]
    ocr = [r for r in rows if r["source"] == "hhs-ocr" and not r["duplicate_of"]]
    assert {r["annotator_kind"] for r in ocr} == {"model"}
    # A full review exactly where a second reader's batch holds the incident; the rest were sampled.
    batches = (PROJECT_ROOT / "seeds" / "hhs-ocr" / "annotation-batches").glob("recheck-*.jsonl")
    reread = {json.loads(line)["incident_id"] for batch in batches for line in batch.read_text(encoding="utf-8").splitlines()}
    assert {r["incident_id"] for r in ocr if r["review"] == "full"} == reread and len(reread) == 338
    assert {r["review"] for r in ocr if r["incident_id"] not in reread} == {"sample"}
    assert all("a second reading of every span" in r["reviewer"] for r in ocr if r["review"] == "full")
    card = (PROJECT_ROOT / "dataset" / "README.md").read_text(encoding="utf-8")
    assert "reviewed by a person" not in card and "No person has read these labels in full" in card
    for heading in ("### Source Data", "#### Data Collection and Processing", "#### Who are the source data producers?",
                    "#### Annotation process", "#### Who are the annotators?", "#### Personal and Sensitive Information"):
        assert f"\n{heading}\n" in card, heading


# --- YAML and Markdown through libraries ------------------------------------------------------


def test_new_with_a_numeric_id_reads_its_own_files_back(project, tmp_path, capsys):
    article = tmp_path / "story.txt"
    article.write_text("A clerk at a bank looked up 40 customers' balances without need and was dismissed.", encoding="utf-8")
    assert main(["--root", str(project), "new", "2024", "--from", str(article), "--license", "CC0"]) == 0, capsys.readouterr().err
    annotations = yaml.safe_load((project / "seeds" / "incidents" / "2024" / "annotations.yaml").read_text(encoding="utf-8"))
    assert annotations["incident_id"] == "2024"  # a string, not the number 2024
    assert main(["--root", str(project), "validate"]) == 0


def test_fix_and_import_keep_the_comments_of_the_file(project, seed_folder):
    path = seed_folder / "annotations.yaml"
    replace_in(path, "articles:\n", "# a note the reviewer left on the articles\narticles:\n")
    replace_in(path, "{quote: were fired,", "{quote: were fired, occurrence: 1,")
    assert main(["--root", str(project), "validate", "--fix"]) == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Gold annotations of the seed incident") and "# a note the reviewer left on the articles" in text
    assert "occurrence: 1, element: consequence, type: personnel_action" not in text


def test_a_markdown_article_keeps_its_headline_and_the_words_of_images_and_links(project, tmp_path, capsys):
    article = tmp_path / "story.md"
    article.write_text(
        "# Clinic worker snooped on 300 patients\n\n![photo of the clinic](clinic.png)\n\n"
        'A nurse [accessed](https://example.org "the story") the records without need and was fired.\n',
        encoding="utf-8",
    )
    assert main(["--root", str(project), "new", "clinic-2024", "--from", str(article), "--license", "CC0"]) == 0, capsys.readouterr().err
    text = (project / "seeds" / "incidents" / "clinic-2024" / "clinic-2024-a1.txt").read_text(encoding="utf-8")
    assert text.startswith("Clinic worker snooped on 300 patients\n")
    assert "photo of the clinic" in text and "!photo" not in text
    assert "A nurse accessed the records" in text and "http" not in text


# --- the segmenter never merges silently ------------------------------------------------------


def test_a_lone_closing_quote_joins_its_sentence_and_a_bare_heading_mark_is_dropped():
    from privacy_incidents.normalize import normalize
    from privacy_incidents.segment import segment

    text = normalize("He said: 'Protect this information.'\n###\nThe plan paid.").text
    assert [s.text for s in segment(text)] == ["He said: 'Protect this information.'", "The plan paid."]


def test_a_piece_the_segmenter_altered_raises_instead_of_merging(monkeypatch):
    from privacy_incidents import segment as segmenter

    class Altering:
        def segment(self, paragraph: str) -> list[str]:
            return ["First sentence.", "Sceond sentence."]  # not in the text

    monkeypatch.setattr(segmenter, "_pysbd", lambda: Altering())
    with pytest.raises(segmenter.SegmentationError, match="Sceond sentence"):
        segmenter.segment("First sentence. Second sentence.")


# --- variants and atomic writes ------------------------------------------------------------------


def test_the_redistributable_variant_declares_only_the_licences_it_holds(ocr_project, tmp_path, capsys):
    out = tmp_path / "hub"
    assert main(["--root", str(ocr_project), "build", "--redistributable-only", "--out", str(out)]) == 0
    assert main(["--root", str(ocr_project), "build", "--check", "--redistributable-only", "--out", str(out)]) == 0
    header = yaml.safe_load((out / "README.md").read_text(encoding="utf-8").split("---")[1])
    assert "all rights reserved" not in header["license_details"]
    croissant = json.loads((out / "croissant.json").read_text(encoding="utf-8"))
    assert [entry["name"] for entry in croissant["license"]] == ["public-domain-us-gov"]
    assert "hhs-ocr" in croissant["license"][0]["description"]


def test_a_scratch_build_writes_nothing_into_the_project(project, tmp_path):
    schema = project / "schemas" / "annotations.schema.json"
    schema.write_text("{}\n", encoding="utf-8")  # stale on purpose
    before = snapshot(project)
    assert main(["--root", str(project), "build", "--out", str(tmp_path / "scratch")]) == 0
    assert snapshot(project) == before


def test_a_failed_swap_puts_the_old_release_back(tmp_path, monkeypatch):
    from privacy_incidents import atomic

    target, new = tmp_path / "dataset", tmp_path / "staging"
    target.mkdir()
    (target / "old.txt").write_text("old", encoding="utf-8")
    new.mkdir()
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)  # the two-rename path
    real_rename = Path.rename

    def failing_rename(self: Path, destination: Path):
        if self == new:
            raise OSError("disk full")
        return real_rename(self, destination)

    monkeypatch.setattr(Path, "rename", failing_rename)
    with pytest.raises(OSError):
        atomic.swap_in(new, target)
    assert (target / "old.txt").read_text(encoding="utf-8") == "old"


def test_swap_in_replaces_the_folder_whole(tmp_path):
    from privacy_incidents.atomic import swap_in

    target, new = tmp_path / "dataset", tmp_path / "staging"
    target.mkdir()
    (target / "old.txt").write_text("old", encoding="utf-8")
    new.mkdir()
    (new / "new.txt").write_text("new", encoding="utf-8")
    swap_in(new, target)
    assert sorted(os.listdir(target)) == ["new.txt"] and not new.exists()


def test_the_build_caches_give_what_the_functions_give(tmp_path):
    from privacy_incidents.normalize import normalize, normalize_cached, normalizing_with_cache
    from privacy_incidents.segment import SegmentCache, segment

    raw = "# Head\n\nA nurse [viewed](x) 4 ∙ю_∙ю_ records.\r\nShe was fired."
    for _ in range(2):  # the first pass fills the files, the second reads them back
        with normalizing_with_cache(tmp_path / "normalized.json"):
            assert normalize_cached(raw, "markdown") == normalize(raw, "markdown")
        cache = SegmentCache(tmp_path / "segments.json")
        text = normalize(raw, "markdown").text
        assert cache.segment(text) == segment(text)
        cache.save()
    assert (tmp_path / "normalized.json").exists() and (tmp_path / "segments.json").exists()
