"""Check ``mine``'s score on labelled data the project has (prints the figures in the README).

Documents: the release's **test** articles (in-scope incidents the baseline never saw), and
``tests/data/mine/labelled-mix.jsonl`` (GDPRhub rights/procedure cases and HIBP spam lists or
fabricated breaches = out of scope; GDPRhub breach cases and HIBP breach descriptions = in-scope
incidents in registers the release does not have). Sentences: the release's test sentences,
those that state no element against those that state one.

    .venv/bin/python benchmarks/mine_calibration.py [--baseline tfidf_logreg_v1]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from privacy_incidents.mine import Document, loaded_models, probabilities, read_model_files, score_batch  # noqa: E402

MIX = ROOT / "tests" / "data" / "mine" / "labelled-mix.jsonl"
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def labelled_documents(dataset: Path) -> list[tuple[str, int, Document]]:
    """(group, 1 if an incident, document) for the release's test articles and the labelled mix."""
    articles = pq.read_table(dataset / "articles" / "test-00000-of-00001.parquet", columns=["article_id", "text"]).to_pydict()
    rows = [("release test articles", 1, Document("release", n, a, t, {})) for n, (a, t) in enumerate(zip(articles["article_id"], articles["text"]), 1)]
    for n, line in enumerate(MIX.read_text(encoding="utf-8").splitlines(), 1):
        record = json.loads(line)
        rows.append((f"{record['source']} {record['label']}", int(record["label"] == "incident"), Document("mix", n, record["id"], record["text"], {})))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="tfidf_logreg_v1")
    args = parser.parse_args()
    files = read_model_files(args.baseline, ROOT / "baselines" / "models")
    rows = labelled_documents(ROOT / "dataset")
    scores = np.array([r["score"] for r in score_batch([d for _, _, d in rows], files)])
    groups = np.array([g for g, _, _ in rows])
    truth = np.array([y for _, y, _ in rows])

    print(f"baseline {args.baseline}; score = mean over the 4 elements of the best sentence probability\n")
    print("| documents | n | median score | min–max |")
    print("|---|---|---|---|")
    for group in dict.fromkeys(groups):
        values = scores[groups == group]
        print(f"| {group} | {len(values)} | {np.median(values):.2f} | {values.min():.2f}–{values.max():.2f} |")

    def auc(mask: np.ndarray) -> str:
        return f"{roc_auc_score(truth[mask], scores[mask]):.3f}"

    out_of_scope = truth == 0
    release = groups == "release test articles"
    print("\nROC AUC (incident vs not):")
    print(f"- release test articles vs all out-of-scope documents: {auc(release | out_of_scope)}")
    print(f"- within GDPRhub (breach cases vs rights/procedure cases): {auc(np.char.startswith(groups.astype(str), 'gdprhub'))}")
    print(f"- within HIBP (breaches vs spam lists / fabricated): {auc(np.char.startswith(groups.astype(str), 'hibp'))}")
    print(f"- every document: {auc(np.ones_like(truth, dtype=bool))}")
    print("\n| threshold | release test articles kept | other in-scope kept | out-of-scope kept |")
    print("|---|---|---|---|")
    for threshold in THRESHOLDS:
        kept = scores >= threshold
        other = (truth == 1) & ~release
        print(f"| {threshold} | {kept[release].mean():.0%} | {kept[other].mean():.0%} | {kept[out_of_scope].mean():.0%} |")

    sentences = pq.read_table(ROOT / "dataset" / "sentences" / "test-00000-of-00001.parquet", columns=["text", "elements"]).to_pydict()
    best = probabilities(loaded_models(files), sentences["text"]).max(axis=1)
    states = np.array([len(e) > 0 for e in sentences["elements"]])
    print(f"\nRelease test sentences: {states.sum()} state an element, {(~states).sum()} state none.")
    print(f"- highest element probability, ROC AUC (states one vs none): {roc_auc_score(states, best):.3f}")
    print(f"- sentences stating none with some element probability >= 0.5: {(best[~states] >= 0.5).mean():.0%}; "
          f"stating one: {(best[states] >= 0.5).mean():.0%}")


if __name__ == "__main__":
    main()
