"""Building: deterministic bytes, atomic swaps, `build --check`, derived files kept fresh."""

from __future__ import annotations

import hashlib
from pathlib import Path

from privacy_incidents.build import build_to
from privacy_incidents.cli import main
from privacy_incidents.schema import PROJECT_ROOT, json_schemas


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_builds_give_identical_bytes(project, tmp_path):
    build_to(project, tmp_path / "one")
    build_to(project, tmp_path / "two")
    assert digests(tmp_path / "one") == digests(tmp_path / "two")
    assert any(name.endswith(".parquet") for name in digests(tmp_path / "one"))


def test_a_corrupted_seed_leaves_the_release_untouched(project, seed_folder, capsys):
    assert main(["--root", str(project), "build"]) == 0
    before = digests(project / "dataset")
    annotations = seed_folder / "annotations.yaml"
    annotations.write_text(annotations.read_text().replace("type: notification", "type: press_release", 1))
    assert main(["--root", str(project), "build"]) == 1
    assert "press_release" in capsys.readouterr().err
    assert digests(project / "dataset") == before
    assert not [p for p in project.iterdir() if p.name.startswith(".dataset")]  # no staging left behind


def test_build_check_flags_a_stale_release(project, seed_folder, capsys):
    assert main(["--root", str(project), "build"]) == 0
    assert main(["--root", str(project), "build", "--check"]) == 0
    meta = seed_folder / "incident.yaml"
    meta.write_text(meta.read_text().replace("title: ByteDance employees used", "title: ByteDance staff used"))
    assert main(["--root", str(project), "build", "--check"]) == 1
    assert "incidents/" in capsys.readouterr().err


def test_committed_release_is_fresh(capsys):
    assert main(["--root", str(PROJECT_ROOT), "build", "--check"]) == 0, capsys.readouterr().err


def test_committed_json_schemas_are_fresh():
    for name, text in json_schemas().items():
        assert (PROJECT_ROOT / "schemas" / name).read_text(encoding="utf-8") == text, f"schemas/{name} is stale: run build"
