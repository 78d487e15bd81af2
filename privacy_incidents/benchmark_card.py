"""The card's benchmark block: per-source scores, span extraction and the transfer matrix (table + heat-map).

Reads ``baselines/results/*.json`` only; rendered by ``cards/benchmark.md.j2``, which the card
template includes. The heat-map shows the best sentence baseline's types macro-F1: rows are what
it was fitted on (one source alone, or every source but one), columns the test source.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TRANSFER_PLOT = "plots/transfer.png"
TRANSFER_TASK = "types"


def load_results(results_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(results_dir.glob("*.json"))] if results_dir.is_dir() else []


def transfer_matrix(result: dict[str, Any], task: str = TRANSFER_TASK) -> tuple[list[str], list[str], list[list[float | None]]]:
    """(row names, column sources, values) of one baseline's transfer results for ``task``."""
    transfer = result.get("transfer") or {}
    sources = transfer.get("eligible_sources", [])
    rows, values = [], []
    for train in sources:
        alone = transfer["alone"].get(train)
        if alone is None:  # no gold training sentences of this source: nothing was fitted
            continue
        rows.append(f"{train} alone")
        values.append([(alone[test].get(task) or {}).get("main_value") for test in sources])
    for held_out in sources:
        cell = transfer["leave_one_out"].get(held_out)
        rows.append(f"all but {held_out}")
        values.append([(cell or {}).get(task, {}).get("main_value") if test == held_out else None for test in sources])
    return rows, sources, values


def benchmark_facts(results: list[dict[str, Any]]) -> dict[str, Any]:
    """What the card's benchmark block shows (pure)."""
    ranked = sorted(results, key=lambda r: (-r["scores"]["types"]["test"]["main_value"], r["baseline"]))
    sources = sorted({s for r in results for s in r["scores"]["types"]["test"].get("by_source", {})})
    best = ranked[0] if ranked else None
    rows, columns, values = transfer_matrix(best) if best else ([], [], [])
    return {
        "sources": sources,
        "by_source": [
            {"baseline": r["baseline"], "cells": [r["scores"]["types"]["test"]["by_source"].get(s) for s in sources]} for r in ranked
        ],
        "spans": sorted((r for r in results if "spans" in r["scores"]), key=lambda r: -r["scores"]["spans"]["test"]["main_value"]),
        "transfer_baseline": best["baseline"] if best else None,
        "transfer_rows": [{"name": name, "cells": cells} for name, cells in zip(rows, values)],
        "transfer_columns": columns,
        "transfer_skipped": [(r["baseline"], r["transfer"]["skipped"]) for r in results if (r.get("transfer") or {}).get("skipped")],
        "min_test_incidents": (best or {}).get("transfer", {}).get("min_test_incidents"),
        "plot": TRANSFER_PLOT,
        "fingerprints": sorted({r.get("release", {}).get("fingerprint", "none") for r in results}),
    }


def write_transfer_plot(results: list[dict[str, Any]], out: Path) -> None:
    """The heat-map of the best sentence baseline's transfer matrix (an empty note when there is none)."""
    import numpy as np

    from .plots import _figure, _save

    facts = benchmark_facts(results)
    rows, columns = facts["transfer_rows"], facts["transfer_columns"]
    figure, axes = _figure(3.2 + 1.1 * max(1, len(columns)), 1.2 + 0.35 * max(1, len(rows)))
    if not rows:
        axes.axis("off")
        axes.text(0.5, 0.5, "no source has enough test incidents for transfer yet", ha="center", va="center")
    else:
        matrix = np.array([[np.nan if v is None else v for v in row["cells"]] for row in rows], dtype=float)
        axes.imshow(matrix, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        axes.set_xticks(range(len(columns)), columns)
        axes.set_yticks(range(len(rows)), [row["name"] for row in rows])
        axes.set_xlabel("test source")
        for i, row in enumerate(rows):
            for j, value in enumerate(row["cells"]):
                if value is not None:
                    axes.text(j, i, f"{value:.2f}", ha="center", va="center", color="white" if value < 0.6 else "black")
        axes.set_title(f"{facts['transfer_baseline']}: types macro-F1", fontsize=9)
    _save(figure, out / TRANSFER_PLOT)
