"""Shared fixtures: a small copy of the project (seed incident only) that builds in a second."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest
import yaml


# The release must load with no network: make any attempt to reach the Hub an error.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"

# The clone these tests belong to (the suite always runs from a clone).
PROJECT_ROOT = Path(__file__).resolve().parents[1]
SEED_INCIDENT = "bytedance-tiktok-journalists-2022"


def copy_project(target: Path, with_hhs: bool = False, hhs_records: int | None = None) -> Path:
    """The parts of the project a build reads; HHS OCR only when asked (it is the slow part), and
    then only its first ``hhs_records`` records when given (with their agreement files)."""
    for folder in ("schemas", "cards", "baselines"):
        shutil.copytree(PROJECT_ROOT / folder, target / folder, ignore=shutil.ignore_patterns("results", "models"))
    shutil.copytree(PROJECT_ROOT / "seeds" / "incidents", target / "seeds" / "incidents")
    # The registry of the copy lists only the sources copied.
    sources = yaml.safe_load((PROJECT_ROOT / "seeds" / "sources.yaml").read_text(encoding="utf-8"))
    kept = [s for s in sources if s["folder"] in (("incidents", "hhs-ocr") if with_hhs else ("incidents",))]
    (target / "seeds" / "sources.yaml").write_text(yaml.safe_dump(kept, sort_keys=False), encoding="utf-8")
    if with_hhs:
        shutil.copytree(PROJECT_ROOT / "seeds" / "hhs-ocr", target / "seeds" / "hhs-ocr")
    if with_hhs and hhs_records:
        cut_ocr_archive(target / "seeds" / "hhs-ocr", hhs_records)
    return target


def cut_ocr_archive(folder: Path, records: int) -> None:
    """Keep the header and the first ``records`` records of the OCR CSV (narratives span lines)."""
    csv_path = folder / "breach_report_archive.csv"
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        for number, _ in enumerate(reader):
            if number == records:
                end = reader.line_num
                break
    lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
    csv_path.write_text("".join(lines[:end]), encoding="utf-8")
    kept = {f"hhs-ocr-{n:04d}" for n in range(1, records + 1)}
    for path in (folder / "agreement").glob("*.yaml"):
        if path.stem not in kept:
            path.unlink()  # second annotations of narratives this small project does not hold


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture
def seed_folder(project: Path) -> Path:
    return project / "seeds" / "incidents" / SEED_INCIDENT
