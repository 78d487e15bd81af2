"""Building: deterministic bytes, atomic swaps, `build --check`, derived files kept fresh."""

from __future__ import annotations

import hashlib
from pathlib import Path

from privacy_incidents.build import build_to
from privacy_incidents.cli import main
from privacy_incidents.schema import json_schemas

from .conftest import PROJECT_ROOT


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


def test_redistributable_variant_leaves_out_the_texts_it_may_not_share(project, seed_folder, tmp_path):
    from datasets import load_dataset
    import pyarrow.parquet as pq

    from .conftest import SEED_INCIDENT

    public = tmp_path / "public-domain-report.txt"
    public.write_text("A hacker stole the health records of 500 patients from a clinic's server.\n", encoding="utf-8")
    assert main(["--root", str(project), "new", "clinic-hack", "--from", str(public),
                 "--license", "public domain", "--redistributable"]) == 0
    assert main(["--root", str(project), "build"]) == 0
    full = digests(project / "dataset")

    out = tmp_path / "hub"
    assert main(["--root", str(project), "build", "--redistributable-only", "--out", str(out)]) == 0
    assert digests(project / "dataset") == full  # the full release is not touched
    seed_sentence = "ByteDance"
    for path in out.rglob("*.parquet"):
        for column in pq.read_table(path).to_pydict().values():
            assert not any(isinstance(v, str) and seed_sentence in v for v in column), f"{path} holds seed text"
    articles = load_dataset(str(out), "articles", cache_dir=str(tmp_path / "cache"))
    assert [row["article_id"] for split in articles.values() for row in split] == ["clinic-hack-a1"]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "This is the redistributable variant" in card
    assert f"| {SEED_INCIDENT} | 002_9ed64316b2d10b74 | AFP, as republished by Tech Xplore | © 2022 AFP; all rights reserved | yes |" in card


def test_redistributable_variant_needs_its_own_folder(project, capsys):
    assert main(["--root", str(project), "build", "--redistributable-only"]) == 1
    assert "needs --out" in capsys.readouterr().err
