"""The source adapters: each reads its raw files into incidents with licence and scope, and refuses
a malformed raw file with the file and the line or entry, writing nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from privacy_incidents.build import collect
from privacy_incidents.cli import main

from .conftest import PROJECT_ROOT, copy_project

SOURCES = {s["id"]: s for s in yaml.safe_load((PROJECT_ROOT / "seeds" / "sources.yaml").read_text(encoding="utf-8"))}

ADBA_ENTRY = """+++
title = "Example Clinic"
date = 2024-03-01

[taxonomies]
sector = ["Health"]

[extra]
severity = "Serious"
data_types = ["Name", "Medical Records"]
source_url = "https://example.org/clinic"

[extra.impact]
affected_individuals = 1200
+++

### Summary

A nurse at Example Clinic viewed the [medical records](https://example.org) of 1,200 patients without need.

### Organisational Response

The clinic dismissed the nurse and notified the patients.
"""
HIBP_ENTRY = {
    "dump_name": "ExampleForum", "record_count": 5000, "breach_date": "2021-05-01", "index_date": "2021-06-01T00:00:00Z",
    "description": 'In May 2021, the <a href="https://example.org">Example Forum</a> suffered a data breach that exposed 5k email addresses &amp; passwords.',
    "info": "", "source": "HaveIBeenPwned",
}
GDPRHUB_CASE = {
    "case_id": "DPA_Example_-_1_2024", "title": "DPA Example - 1/2024", "url": "https://gdprhub.eu/index.php?title=DPA_Example_-_1/2024",
    "authority": "DPA (Example)", "kind": "authority", "jurisdiction": "Example", "relevant_law": "Article 6 GDPR", "type": "Complaint",
    "outcome": "Upheld", "started": None, "decided": "01.02.2024", "published": None, "fine": "10000 EUR", "parties": "Shop Ltd",
    "original_language": "English", "contributor": "A", "headline": "The DPA fined a shop for filming its staff.",
    "facts": "A shop installed cameras that filmed its staff in the [changing room](/index.php?title=Article_6_GDPR).",
    "holding": "The DPA fined the shop.", "license": "CC BY-NC-SA 4.0", "snapshot": "x",
}
FTC_COMPLAINT = """# COMPLAINT

Caption text of the complaint.

## Summary of the Case

**1.** Example Corp sold consumers' precise location data to brokers without consent.

## Count I

**2.** The practices violate Section 5.
"""


def scope_line(key: str, in_scope: bool = True, reason: str | None = None) -> str:
    return json.dumps({"key": key, "in_scope": in_scope, "category": "breach" if in_scope else None,
                       "reason": reason, "note": "test", "decided_by": "test reader"}) + "\n"


def one_source_project(tmp_path: Path, source: str) -> Path:
    """A project with the seed incident and one new source holding a single small document."""
    root = copy_project(tmp_path / "project")
    registry = yaml.safe_load((root / "seeds" / "sources.yaml").read_text(encoding="utf-8")) + [SOURCES[source]]
    (root / "seeds" / "sources.yaml").write_text(yaml.safe_dump(registry, sort_keys=False), encoding="utf-8")
    folder = root / "seeds" / source
    folder.mkdir(parents=True)
    if source == "adba":
        (folder / "breaches" / "2024").mkdir(parents=True)
        (folder / "breaches" / "2024" / "2024-03-01-example-clinic.md").write_text(ADBA_ENTRY, encoding="utf-8")
        (folder / "scope.jsonl").write_text(scope_line("2024/2024-03-01-example-clinic.md"), encoding="utf-8")
    elif source == "hibp":
        (folder / "HaveIBeenPwned.json").write_text(json.dumps([HIBP_ENTRY]), encoding="utf-8")
        (folder / "scope.jsonl").write_text(scope_line("ExampleForum"), encoding="utf-8")
    elif source == "gdprhub":
        (folder / "gdprhub-summaries.jsonl").write_text(json.dumps(GDPRHUB_CASE) + "\n", encoding="utf-8")
        (folder / "scope.jsonl").write_text(scope_line("DPA_Example_-_1_2024"), encoding="utf-8")
    elif source == "ftc":
        # The adapter knows its complaints by name: use a real one's name with a small text.
        (folder / "avast_complaint.md").write_text(FTC_COMPLAINT, encoding="utf-8")
        (folder / "scope.jsonl").write_text(
            scope_line("avast_complaint.md:0", False, "caption") + scope_line("avast_complaint.md:1", False, "caption")
            + scope_line("avast_complaint.md:5") + scope_line("avast_complaint.md:9", False, "counts_relief"),
            encoding="utf-8",
        )
    return root


def incident_of(root: Path, source: str):
    (incident,) = [i for i in collect(root).incidents if i.source == source]
    return incident


def test_adba_reads_front_matter_and_body_without_section_headings(tmp_path):
    incident = incident_of(one_source_project(tmp_path, "adba"), "adba")
    text = incident.articles[0].normalized.text
    assert incident.title == "Example Clinic" and incident.incident_id == "adba-2024-03-01-example-clinic"
    assert text.startswith("A nurse at Example Clinic viewed the medical records") and "Summary" not in text
    assert incident.extra["records_affected"] == 1200 and incident.extra["data_types"] == ["Name", "Medical Records"]
    assert (incident.articles[0].meta["license"], incident.articles[0].meta["commercial_use"]) == ("CC-BY-4.0", True)
    assert incident.annotations.status == "silver"


def test_hibp_decodes_html(tmp_path):
    incident = incident_of(one_source_project(tmp_path, "hibp"), "hibp")
    assert incident.articles[0].normalized.text == "In May 2021, the Example Forum suffered a data breach that exposed 5k email addresses & passwords."
    assert incident.extra["records_affected"] == 5000


def test_gdprhub_is_non_commercial_and_keeps_the_case_fields(tmp_path):
    incident = incident_of(one_source_project(tmp_path, "gdprhub"), "gdprhub")
    meta = incident.articles[0].meta
    assert (meta["license"], meta["redistributable"], meta["commercial_use"]) == ("CC-BY-NC-SA-4.0", True, False)
    assert incident.extra["fine"] == "10000 EUR" and incident.date == "2024-02-01"
    assert "filmed its staff in the changing room." in incident.articles[0].normalized.text


def test_ftc_keeps_only_in_scope_sections_and_strips_paragraph_numbers(tmp_path):
    root = one_source_project(tmp_path, "ftc")
    incident = incident_of(root, "ftc")
    assert incident.articles[0].normalized.text == "Example Corp sold consumers' precise location data to brokers without consent."
    out_of_scope = {o.reason for o in collect(root).out_of_scope}
    assert out_of_scope == {"caption", "counts_relief"}


def test_the_commercial_variant_leaves_out_non_commercial_texts(tmp_path, capsys):
    root = one_source_project(tmp_path, "gdprhub")
    hibp = one_source_project(tmp_path / "other", "hibp")
    shutil.copytree(hibp / "seeds" / "hibp", root / "seeds" / "hibp")
    registry = yaml.safe_load((root / "seeds" / "sources.yaml").read_text(encoding="utf-8")) + [SOURCES["hibp"]]
    (root / "seeds" / "sources.yaml").write_text(yaml.safe_dump(registry, sort_keys=False), encoding="utf-8")
    out = tmp_path / "commercial"
    assert main(["--root", str(root), "build", "--commercial-only", "--out", str(out)]) == 0, capsys.readouterr().err
    import pyarrow.parquet as pq

    articles = [r for p in sorted((out / "articles").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert [(a["source"], a["license"]) for a in articles] == [("hibp", "CC-BY-4.0")]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "commercial variant" in card and "DPA_Example_-_1_2024" in card  # listed as left out
    assert "CC-BY-NC-SA" not in card.split("---")[1]  # the header declares only what is in


def break_file(root: Path, source: str, breakage: str) -> Path:
    folder = root / "seeds" / source
    if breakage == "bad toml":
        path = folder / "breaches" / "2024" / "2024-03-01-example-clinic.md"
        path.write_text(ADBA_ENTRY.replace('severity = "Serious"', "severity = Serious"), encoding="utf-8")
    elif breakage == "json line":
        path = folder / "gdprhub-summaries.jsonl"
        path.write_text(json.dumps(GDPRHUB_CASE) + "\n" + '{"case_id": "broken", \n', encoding="utf-8")
    elif breakage == "no facts":
        path = folder / "gdprhub-summaries.jsonl"
        path.write_text(json.dumps({**GDPRHUB_CASE, "facts": ""}) + "\n", encoding="utf-8")
    elif breakage == "no description":
        path = folder / "HaveIBeenPwned.json"
        path.write_text(json.dumps([{**HIBP_ENTRY, "description": ""}]), encoding="utf-8")
    elif breakage == "empty complaint":
        path = folder / "avast_complaint.md"
        path.write_text(FTC_COMPLAINT.replace("**1.** Example Corp sold consumers' precise location data to brokers without consent.", ""), encoding="utf-8")
    elif breakage == "undecided":
        path = folder / "scope.jsonl"
        path.write_text("", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("source", "breakage", "expected"),
    [
        ("adba", "bad toml", "2024-03-01-example-clinic.md:9: malformed TOML front matter"),
        ("gdprhub", "json line", "gdprhub-summaries.jsonl:2: not a JSON object"),
        ("gdprhub", "no facts", "gdprhub-summaries.jsonl:1: case DPA_Example_-_1_2024 has no facts"),
        ("hibp", "no description", "HaveIBeenPwned.json: breach 1 ('ExampleForum') has no description"),
        ("ftc", "empty complaint", "avast_complaint.md: no text left"),
        ("hibp", "undecided", "scope.jsonl: no scope decision for 'ExampleForum'"),
    ],
)
def test_a_malformed_raw_file_is_refused_and_nothing_is_written(tmp_path, capsys, source, breakage, expected):
    root = one_source_project(tmp_path, source)
    assert main(["--root", str(root), "build"]) == 0, capsys.readouterr().err
    before = {p: p.read_bytes() for p in sorted((root / "dataset").rglob("*")) if p.is_file()}
    break_file(root, source, breakage)
    assert main(["--root", str(root), "validate"]) == 1
    assert expected in capsys.readouterr().err
    assert main(["--root", str(root), "build"]) == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in sorted((root / "dataset").rglob("*")) if p.is_file()} == before


def test_a_registry_naming_a_missing_adapter_is_an_error(tmp_path, capsys):
    root = copy_project(tmp_path / "project")
    registry = root / "seeds" / "sources.yaml"
    registry.write_text(registry.read_text(encoding="utf-8") + "- {id: x, adapter: nowhere, folder: x, description: x}\n", encoding="utf-8")
    assert main(["--root", str(root), "validate"]) == 1
    assert "sources.yaml:" in capsys.readouterr().err


def test_linked_incidents_share_a_split():
    links = yaml.safe_load((PROJECT_ROOT / "seeds" / "links.yaml").read_text(encoding="utf-8"))
    splits = {}
    for split in ("train", "validation", "test"):
        for incident in (PROJECT_ROOT / "dataset" / "splits" / f"{split}.txt").read_text(encoding="utf-8").split():
            splits[incident] = split
    for link in links:
        assert len({splits[i] for i in link["incidents"]}) == 1, link


def test_split_groups_merge_across_links():
    from privacy_incidents.build import Link, split_groups
    from privacy_incidents.sources import IncidentInput

    def incident(incident_id: str, group: str) -> IncidentInput:
        return IncidentInput(incident_id, "x", "t", None, "", [], None, group)

    incidents = [incident("a", "a"), incident("b", "b"), incident("c", "c"), incident("a2", "a")]
    groups = split_groups(incidents, [Link(["b", "c"], "test"), Link(["a2", "c"], "test")])
    assert groups == {"a": "a", "b": "a", "c": "a", "a2": "a"}
