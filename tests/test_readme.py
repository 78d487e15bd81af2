"""The README quotes figures that the project computes: they must be the current ones."""

from __future__ import annotations

import importlib.util

from .conftest import PROJECT_ROOT


def test_the_readme_leaderboard_is_the_committed_results():
    spec = importlib.util.spec_from_file_location("leaderboard", PROJECT_ROOT / "scripts" / "leaderboard.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = module.leaderboard(PROJECT_ROOT / "baselines" / "results")
    assert table in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8"), "README leaderboard is stale: paste `python scripts/leaderboard.py`"
