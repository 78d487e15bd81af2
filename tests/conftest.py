"""Shared fixtures: a small copy of the project (seed incident only) that builds in a second."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from privacy_incidents.schema import PROJECT_ROOT

# The release must load with no network: make any attempt to reach the Hub an error.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"

SEED_INCIDENT = "bytedance-tiktok-journalists-2022"


def copy_project(target: Path, with_hhs: bool = False) -> Path:
    """The parts of the project a build reads; HHS OCR only when asked (it is the slow part)."""
    for folder in ("schemas", "cards", "baselines"):
        shutil.copytree(PROJECT_ROOT / folder, target / folder, ignore=shutil.ignore_patterns("results"))
    shutil.copytree(PROJECT_ROOT / "seeds" / "incidents", target / "seeds" / "incidents")
    if with_hhs:
        shutil.copytree(PROJECT_ROOT / "seeds" / "hhs-ocr", target / "seeds" / "hhs-ocr")
    return target


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture
def seed_folder(project: Path) -> Path:
    return project / "seeds" / "incidents" / SEED_INCIDENT
