"""croissant.json: mlcroissant loads it cleanly and reads back exactly the Parquet rows, split by split.

Validation alone passes with a wrong split regex (measured), so the records are read back
through mlcroissant and compared with pyarrow's rows of the file each one came from.
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import json
import re
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import mlcroissant as mlc
import pyarrow.parquet as pq
import pytest
from mlcroissant._src.core.context import Context, CroissantVersion
from mlcroissant._src.core.rdf import make_context

from .conftest import PROJECT_ROOT
from privacy_incidents.build import parquet_path
from privacy_incidents.croissant import (
    CONTEXT,
    CROISSANT_FILE,
    RAI_FIELDS,
    SPLITS_RECORD_SET,
    croissant_document,
    file_set_id,
    load_rai,
    render,
    write_croissant,
)
from privacy_incidents.schema import CONFIGS, SPLITS, release_features

DATASET = PROJECT_ROOT / "dataset"
FACTS = {
    "version": "1.0.0",
    "license_name": "mixed-public-domain-and-copyrighted",
    "license_details": "OCR narratives: public domain. News articles: copyright of their publishers, not redistributable.",
    "date_published": "2026-11-22",
}


# --- fixtures: one tmp copy of the committed release, its document, its records ------------------


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """The committed release copied to tmp with a fresh croissant.json: the repo is never written."""
    folder = tmp_path_factory.mktemp("croissant") / "dataset"
    shutil.copytree(DATASET, folder, ignore=shutil.ignore_patterns(CROISSANT_FILE))
    write_croissant(folder, FACTS)
    return folder


@pytest.fixture(scope="module")
def document(release) -> dict[str, Any]:
    return json.loads((release / CROISSANT_FILE).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dataset(release) -> mlc.Dataset:
    return mlc.Dataset(jsonld=str(release / CROISSANT_FILE))


@pytest.fixture(scope="module")
def records(dataset) -> dict[str, list[dict[str, Any]]]:
    """Every record of every record set, read once (~10 s for the whole release)."""
    return {rs.uuid: list(dataset.records(record_set=rs.uuid)) for rs in dataset.metadata.record_sets}


# --- helpers ------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """mlcroissant's values as pyarrow gives them: sc:Text comes back as bytes."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def mismatches(config: str, config_records: list[dict[str, Any]], release_dir: Path) -> list[str]:
    """How mlcroissant's records of ``config`` differ from the Parquet rows, file by file.

    Each record must carry the split of the file it came from: records are grouped by their
    ``split`` value and compared, in order, with that split's file.
    """
    columns = list(release_features()[config])
    by_split: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    problems = []
    for record in config_records:
        row = {key.removeprefix(f"{config}/"): plain(value) for key, value in record.items()}
        if set(row) != set(columns) | {"split"}:
            problems.append(f"{config}: record fields {sorted(row)} != columns + split")
            break
        by_split[row.pop("split")].append(row)
    if set(by_split) != set(SPLITS):
        problems.append(f"{config}: split values {sorted(map(str, by_split))} != {sorted(SPLITS)}")
    for split in SPLITS:
        expected = pq.read_table(release_dir / parquet_path(config, split)).to_pylist()
        got = by_split.get(split, [])
        if len(got) != len(expected):
            problems.append(f"{config}/{split}: {len(got)} records, {len(expected)} Parquet rows")
            continue
        for index, (record, row) in enumerate(zip(got, expected)):
            column = next((c for c in columns if record[c] != row[c]), None)
            if column is not None:
                problems.append(f"{config}/{split} row {index}: {column} {record[column]!r} != {row[column]!r}")
                break
    return problems


def checksum_problems(document: dict[str, Any], release_dir: Path) -> list[str]:
    """FileObjects whose sha256 or size is wrong, and Parquet files no FileObject declares."""
    problems = []
    objects = [d for d in document["distribution"] if d["@type"] == "cr:FileObject"]
    for item in objects:
        data = (release_dir / item["contentUrl"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != item["sha256"]:
            problems.append(f"{item['contentUrl']}: sha256 differs")
        if item["contentSize"] != f"{len(data)} B":
            problems.append(f"{item['contentUrl']}: size differs")
    on_disk = {str(p.relative_to(release_dir)) for p in release_dir.rglob("*.parquet")}
    declared = {item["contentUrl"] for item in objects}
    if on_disk != declared:
        problems.append(f"undeclared {sorted(on_disk - declared)}, missing {sorted(declared - on_disk)}")
    return problems


def with_change(document: dict[str, Any], release_dir: Path, name: str, change) -> Path:
    """A corrupted copy of the document, next to the real one so relative paths still resolve."""
    broken = copy.deepcopy(document)
    change(broken)
    path = release_dir / name
    path.write_text(render(broken), encoding="utf-8")
    return path


def field_of(document: dict[str, Any], field_id: str) -> dict[str, Any]:
    return next(f for rs in document["recordSet"] for f in rs["field"] if f["@id"] == field_id)


# --- (a) mlcroissant loads it -------------------------------------------------------------------


def test_mlcroissant_loads_it_with_no_errors_or_warnings(dataset):
    issues = dataset.metadata.ctx.issues
    assert not issues.errors
    assert not issues.warnings


def test_context_is_the_one_mlcroissant_writes_for_croissant_1_0():
    assert CONTEXT == make_context(Context(conforms_to=CroissantVersion.V_1_0))


def test_rai_fields_reach_mlcroissant(dataset):
    """Every cards/rai.yaml entry is read into mlcroissant's Metadata (a wrong prefix would drop it)."""
    metadata = dataset.metadata
    rai = load_rai()
    assert rai, "cards/rai.yaml is empty"
    for key in RAI_FIELDS:
        attribute = re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
        assert hasattr(metadata, attribute), f"mlcroissant does not know rai:{key}"
        if key in rai:
            value = getattr(metadata, attribute)
            assert value in (rai[key], [rai[key]]), key


# --- (b) records read back equal the Parquet rows -------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_records_equal_the_parquet_rows_split_by_split(records, release, config):
    assert mismatches(config, records[config], release) == []


def test_enumerations_hold_the_class_label_names(records, document):
    """Each ClassLabel column points (in its description) to a record set holding its names."""
    for config in CONFIGS:
        for column, feature in release_features()[config].items():
            names = getattr(getattr(feature, "feature", feature), "names", None)
            if names is None:
                continue
            description = field_of(document, f"{config}/{column}")["description"]
            set_id = re.search(r"names in record set (\S+):", description)[1]
            rows = sorted(records[set_id], key=lambda r: r[f"{set_id}/index"])
            assert [plain(r[f"{set_id}/name"]) for r in rows] == names, f"{config}.{column}"


def test_splits_record_set_names_every_split(records, document):
    split_set = next(rs for rs in document["recordSet"] if rs["@id"] == SPLITS_RECORD_SET)
    assert split_set["dataType"] == "cr:Split"
    assert [plain(r[f"{SPLITS_RECORD_SET}/name"]) for r in records[SPLITS_RECORD_SET]] == list(SPLITS)


def test_checksums_and_sizes_match_the_files(document, release):
    assert checksum_problems(document, release) == []


def test_each_file_set_matches_exactly_its_config_files(document):
    objects = [d["contentUrl"] for d in document["distribution"] if d["@type"] == "cr:FileObject"]
    file_sets = {d["@id"]: d for d in document["distribution"] if d["@type"] == "cr:FileSet"}
    assert set(file_sets) == {file_set_id(c) for c in CONFIGS}
    for config in CONFIGS:
        matched = fnmatch.filter(objects, file_sets[file_set_id(config)]["includes"])
        assert matched == [parquet_path(config, s) for s in SPLITS]


@pytest.mark.parametrize("config", CONFIGS)
def test_record_set_keys_are_unique(release, document, config):
    record_set = next(rs for rs in document["recordSet"] if rs["@id"] == config)
    column = record_set["key"]["@id"].removeprefix(f"{config}/")
    tables = [pq.read_table(release / parquet_path(config, s), columns=[column]) for s in SPLITS]
    values = [v for table in tables for v in table[column].to_pylist()]
    assert len(values) == len(set(values))


def test_the_document_is_deterministic_and_has_no_machine_paths(release):
    first, second = render(croissant_document(release, FACTS)), render(croissant_document(release, FACTS))
    assert first == second
    assert (release / CROISSANT_FILE).read_text(encoding="utf-8") == first
    for path in (release, PROJECT_ROOT, Path.home()):
        assert str(path) not in first


# --- (c) corruptions are caught -------------------------------------------------------------------


@pytest.mark.parametrize(
    "regex",
    [
        r"^articles/(train|validation|test)/.+\.parquet$",  # Hugging Face's layout, not ours
        r"^(articles)/.+\.parquet$",  # captures the config, not the split
    ],
)
def test_a_wrong_split_regex_passes_validation_but_not_the_comparison(document, release, regex):
    def change(doc):
        field_of(doc, "articles/split")["source"]["transform"]["regex"] = regex

    path = with_change(document, release, "croissant-wrong-regex.json", change)
    broken = mlc.Dataset(jsonld=str(path))  # validates: the regex is only used when reading
    problems = mismatches("articles", list(broken.records(record_set="articles")), release)
    assert problems and "split values" in problems[0]


def test_a_wrong_sha256_is_caught(document, release):
    def change(doc):
        doc["distribution"][0]["sha256"] = "0" * 64

    path = with_change(document, release, "croissant-wrong-sha.json", change)
    # mlcroissant checks a FileObject's hash only when a record set reads it; these only carry
    # the checksums (record sets read the FileSets), so the comparison here is what catches it.
    problems = checksum_problems(json.loads(path.read_text(encoding="utf-8")), release)
    assert problems == [f"{document['distribution'][0]['contentUrl']}: sha256 differs"]


def test_missing_or_unknown_facts_are_errors(release):
    with pytest.raises(ValueError, match="missing"):
        croissant_document(release, {k: v for k, v in FACTS.items() if k != "version"})
    with pytest.raises(ValueError, match="unknown"):
        croissant_document(release, {**FACTS, "num_incidents": 697})


def test_rai_yaml_accepts_only_croissant_rai_properties(release, tmp_path):
    rai = tmp_path / "rai.yaml"
    rai.write_text("dataCollection: fine\ndataColection: a typo\n", encoding="utf-8")
    with pytest.raises(ValueError, match="dataColection"):
        croissant_document(release, FACTS, rai_path=rai)


# --- the committed file ---------------------------------------------------------------------------


def test_committed_croissant_json_is_a_fresh_render():
    committed = (DATASET / CROISSANT_FILE).read_text(encoding="utf-8")
    doc = json.loads(committed)
    # The facts are the caller's: take them from the committed file, check everything else.
    facts = {
        "version": doc["version"],
        # The card's licence summary is not in the file: any text stands in, the list is what is compared.
        "license_name": "x",
        "license_details": "x",
        "licenses": [{k: v for k, v in entry.items() if k != "@type"} for entry in doc["license"]],
        **({"date_published": doc["datePublished"]} if "datePublished" in doc else {}),
    }
    assert render(croissant_document(DATASET, facts)) == committed
