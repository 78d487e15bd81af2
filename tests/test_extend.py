"""`privacy-incidents new`: an incident from a saved page lands as silver; every refusal touches nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from datasets import load_dataset

from privacy_incidents.cli import main

from .conftest import SEED_INCIDENT

NEW_ID = "general-hospital-snooping-2024"
PAGE = """<!DOCTYPE html>
<html><head><title>Hospital worker snooped on records | Example News</title>
<meta property="og:site_name" content="Example News"><meta name="date" content="2024-03-01"></head>
<body><nav>Home | News | Sport | Sign in</nav>
<article><h1>Hospital worker snooped on records</h1>
<p>A nurse at General Hospital accessed the medical records of 300 patients without authorisation, the hospital said on Friday.</p>
<p>The employee was fired and the hospital notified the patients by letter.</p></article>
<footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>
"""


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "saved-page.html"
    path.write_text(PAGE, encoding="utf-8")
    return path


def new(project: Path, *args: str) -> int:
    return main(["--root", str(project), "new", *args])


def test_new_incident_from_html_is_silver_and_loads_after_build(project, page, capsys, tmp_path):
    assert new(project, NEW_ID, "--from", str(page), "--license", "copyright Example News") == 0
    out = capsys.readouterr().out
    assert "status silver" in out and "privacy-incidents build" in out and "import label-studio" in out

    folder = project / "seeds" / "incidents" / NEW_ID
    article = (folder / f"{NEW_ID}-a1.txt").read_text(encoding="utf-8")
    assert "A nurse at General Hospital accessed" in article
    assert "Sign in" not in article and "All rights reserved" not in article  # page furniture is not the article
    meta = yaml.safe_load((folder / "incident.yaml").read_text(encoding="utf-8"))
    assert meta["articles"][0]["publisher"] == "Example News" and meta["articles"][0]["redistributable"] is False
    annotations = yaml.safe_load((folder / "annotations.yaml").read_text(encoding="utf-8"))
    assert annotations["status"] == "silver" and "reviewer" not in annotations
    assert {"element": "actor", "type": "insider_employee", "quote": "nurse"} in annotations["articles"][0]["spans"]

    assert main(["--root", str(project), "validate"]) == 0
    assert main(["--root", str(project), "build"]) == 0
    incidents = load_dataset(str(project / "dataset"), "incidents", cache_dir=str(tmp_path / "cache"))
    rows = [row for split in incidents.values() for row in split if row["incident_id"] == NEW_ID]
    assert len(rows) == 1  # two incidents: the split that has none is left out, as `datasets` needs
    assert incidents["train"].features["label_source"].int2str(rows[0]["label_source"]) == "silver"


def test_second_article_makes_a_gold_incident_silver_and_keeps_its_spans(project, seed_folder, tmp_path, capsys):
    before = yaml.safe_load((seed_folder / "annotations.yaml").read_text(encoding="utf-8"))
    follow_up = tmp_path / "follow-up.md"
    follow_up.write_text("# Follow-up\n\nTikTok said the employees who accessed the data were fired.\n", encoding="utf-8")
    assert new(project, SEED_INCIDENT, "--from", str(follow_up), "--add-article") == 0
    assert "it is silver now" in capsys.readouterr().out

    after = yaml.safe_load((seed_folder / "annotations.yaml").read_text(encoding="utf-8"))
    assert after["status"] == "silver" and "reviewer" not in after
    assert after["articles"][: len(before["articles"])] == before["articles"]
    assert after["articles"][-1]["article_id"] == f"{SEED_INCIDENT}-a1"
    meta = yaml.safe_load((seed_folder / "incident.yaml").read_text(encoding="utf-8"))
    assert [a["article_id"] for a in meta["articles"]][-1] == f"{SEED_INCIDENT}-a1"
    assert (seed_folder / "incident.yaml").read_text(encoding="utf-8").startswith("# The seed incident.")  # comments kept
    assert main(["--root", str(project), "validate"]) == 0


def refused(project: Path, capsys, *args: str) -> str:
    seeds_before = snapshot(project / "seeds")
    assert new(project, *args) == 1
    assert snapshot(project / "seeds") == seeds_before, "a refused `new` changed seeds/"
    assert not list((project / "seeds").glob(".staging-*")), "a staging folder was left behind"
    err = capsys.readouterr().err
    assert "nothing was written" in err
    return err


def test_existing_id_is_refused(project, page, capsys):
    err = refused(project, capsys, SEED_INCIDENT, "--from", str(page))
    assert f"incident {SEED_INCIDENT!r} already exists" in err and "--add-article" in err


@pytest.mark.parametrize("built", [False, True], ids=["no release yet", "from the built release"])
def test_text_already_in_another_incident_is_refused_naming_it(project, seed_folder, tmp_path, capsys, built):
    if built:  # the other sources' texts then come from dataset/articles, the folders are read fresh
        assert main(["--root", str(project), "build"]) == 0
        capsys.readouterr()
    # The same article saved with Windows line endings: different bytes, same normalised text.
    copy = tmp_path / "same.txt"
    copy.write_bytes((seed_folder / "002_9ed64316b2d10b74.txt").read_bytes().replace(b"\n", b"\r\n"))
    err = refused(project, capsys, "another-incident", "--from", str(copy))
    assert f"incident {SEED_INCIDENT!r}, article '002_9ed64316b2d10b74'" in err


def test_page_with_no_article_text_is_refused(project, tmp_path, capsys):
    menu_only = tmp_path / "menu.html"
    menu_only.write_text("<html><body><nav>Home | News | Sport</nav><div>Sign in</div></body></html>", encoding="utf-8")
    err = refused(project, capsys, "empty-page", "--from", str(menu_only))
    assert "menu.html" in err and "no article text could be extracted" in err


def test_binary_file_is_refused(project, tmp_path, capsys):
    pdf = tmp_path / "article.pdf"
    pdf.write_bytes(b"%PDF-1.7\n\x00\x01\x02 binary stream")
    err = refused(project, capsys, "from-a-pdf", "--from", str(pdf))
    assert "article.pdf" in err and "not a text file" in err


def test_text_in_another_encoding_is_refused(project, tmp_path, capsys):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Das Krankenhaus hat die Daten von Patienten verloren; Schäden unklar.".encode("latin-1"))
    err = refused(project, capsys, "latin1-text", "--from", str(latin1))
    assert "latin1.txt" in err and "not UTF-8" in err


def test_bad_incident_id_is_refused(project, page, capsys):
    err = refused(project, capsys, "../escape", "--from", str(page))
    assert "not a valid incident id" in err


def test_adding_to_a_missing_incident_is_refused(project, page, capsys):
    err = refused(project, capsys, "no-such-incident", "--from", str(page), "--add-article")
    assert "no incident 'no-such-incident'" in err
