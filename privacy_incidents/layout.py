"""Where things are inside a built release: one small module that build, card, croissant and
the baselines share (so none of them imports another for a path)."""

from __future__ import annotations

from typing import Any

from .schema import SPLITS

SPLITS_FOLDER = "splits"
QUALITY_FILE = "annotation-quality.json"
OUT_OF_SCOPE_FILE = "out-of-scope.jsonl"
LINKS_FILE = "links.jsonl"


def parquet_path(config: str, split: str) -> str:
    """
    >>> parquet_path("sentences", "test")
    'sentences/test-00000-of-00001.parquet'
    """
    return f"{config}/{split}-00000-of-00001.parquet"


def splits_with_rows(release: dict[str, dict[str, list[Any]]], config: str) -> list[str]:
    """The splits a config has rows in: `datasets` cannot open an empty split, so those are left out.

    Only a small project (a handful of incidents) has one; the full release has rows everywhere.
    """
    return [split for split in SPLITS if release[config][split]]
