"""Print the README's leaderboard from `baselines/results/` (the README quotes it; a test keeps it fresh).

    .venv/bin/python scripts/leaderboard.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = (
    "| baseline | elements macro-F1 | types macro-F1 | types micro-F1 | types macro-F1, all types "
    "| incident macro-F1 | spans F1 (exact) | spans overlap F1 |\n|---|---|---|---|---|---|---|---|\n"
)


def leaderboard(results_dir: Path) -> str:
    results = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(results_dir.glob("*.json"))]
    results.sort(key=lambda r: (-r["scores"]["types"]["test"]["main_value"], r["baseline"]))
    rows = []
    for r in results:
        scores = r["scores"]
        types, spans = scores["types"]["test"], scores.get("spans", {}).get("test")
        cells = [scores["elements"]["test"]["main_value"], types["main_value"], types["micro_f1"],
                 types["macro_f1_all_labels"], scores["incident"]["test"]["main_value"],
                 spans["main_value"] if spans else None, spans["overlap"]["f1"] if spans else None]
        rows.append(f"| `{r['baseline']}` | " + " | ".join("—" if c is None else f"{c:.3f}" for c in cells) + " |\n")
    return HEADER + "".join(rows)


if __name__ == "__main__":
    sys.stdout.write(leaderboard(ROOT / "baselines" / "results"))
