"""Accuracy and speed of the sentence segmenters on gold boundaries the project has (prints a table).

Gold sets:
- **release**: the articles of the release's gold incidents (``dataset/articles``) with their
  sentence boundaries (``dataset/sentences``: ``start``/``end`` into the article text), which the
  annotators read sentence by sentence. Caveat: these boundaries were first made by pySBD, so they
  favour pySBD. Silver incidents are left out: nobody has read their boundaries.
- **golden rules**: pySBD's 48 English "golden rules" (``benchmarks/data/pysbd_golden_rules.py``,
  copied from the pysbd 0.3.3 sdist, MIT).

Accuracy: sentence precision / recall / F1 (a sentence counts when its exact ``(start, end)``
is in the gold) and the share of articles segmented entirely right; golden rules passed.
Speed: sentences per second on the release's texts repeated, paragraphs first, offsets included
(one process, one core; the best of ``--repeat`` runs, because the machine is shared).

    .venv/bin/python benchmarks/segmenters.py            # needs: pip install -e ".[bench]"
"""

from __future__ import annotations

import argparse
import runpy
import sys
import time
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from privacy_incidents.schema import SPLITS  # noqa: E402
from privacy_incidents.segmenters import SEGMENTERS, sentence_spans  # noqa: E402


def release_gold(dataset: Path) -> list[tuple[str, set[tuple[int, int]]]]:
    """(article text, its gold sentence offsets) for every article of a gold incident, every split."""
    gold = []
    for split in SPLITS:
        articles = pq.read_table(dataset / "articles" / f"{split}-00000-of-00001.parquet", columns=["article_id", "text"]).to_pydict()
        sentences = pq.read_table(dataset / "sentences" / f"{split}-00000-of-00001.parquet",
                                  columns=["article_id", "start", "end", "label_source"]).to_pydict()
        spans = defaultdict(set)
        for article, start, end, source in zip(sentences["article_id"], sentences["start"], sentences["end"], sentences["label_source"]):
            if source == 0:  # gold
                spans[article].add((start, end))
        gold += [(text, spans[article]) for article, text in zip(articles["article_id"], articles["text"]) if article in spans]
    return gold


def release_accuracy(name: str, gold: list[tuple[str, set[tuple[int, int]]]]) -> dict[str, float]:
    tp = predicted = expected = whole = 0
    for text, truth in gold:
        found = set(sentence_spans(text, name))
        tp += len(found & truth)
        predicted += len(found)
        expected += len(truth)
        whole += found == truth
    precision, recall = tp / predicted, tp / expected
    return {"precision": precision, "recall": recall, "f1": 2 * precision * recall / (precision + recall), "articles": whole / len(gold)}


def golden_rules_passed(name: str, rules: list[tuple[str, list[str]]]) -> int:
    passed = 0
    for text, expected in rules:
        found = [text[a:b] for a, b in sentence_spans(text, name)]
        passed += found == [e.strip() for e in expected]
    return passed


def speed(name: str, texts: list[str], repeat: int) -> tuple[float, int]:
    """Best sentences/s over ``repeat`` runs, and the number of sentences of one run."""
    best, count = 0.0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = sum(len(sentence_spans(text, name)) for text in texts)
        best = max(best, count / (time.perf_counter() - started))
    return best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default=str(ROOT / "dataset"))
    parser.add_argument("--copies", type=int, default=3, help="copies of the release's texts for the speed run (default 3)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    gold = release_gold(Path(args.dataset))
    rules = runpy.run_path(str(ROOT / "benchmarks" / "data" / "pysbd_golden_rules.py"))["GOLDEN_EN_RULES"]
    texts = [text for text, _ in gold] * args.copies
    print(f"gold: {len(gold)} release articles, {sum(len(t) for _, t in gold)} sentences; {len(rules)} golden rules")
    print("| segmenter | release sentence P / R / F1 | release articles all right | golden rules | sentences/s (1 core) |")
    print("|---|---|---|---|---|")
    for name in SEGMENTERS:
        accuracy = release_accuracy(name, gold)
        passed = golden_rules_passed(name, rules)
        rate, count = speed(name, texts if name != "pysbd" else texts[: len(gold)], args.repeat)
        print(
            f"| {name} | {accuracy['precision']:.3f} / {accuracy['recall']:.3f} / {accuracy['f1']:.3f} "
            f"| {accuracy['articles']:.1%} | {passed}/{len(rules)} | {rate:,.0f} ({count:,} sentences) |"
        )


if __name__ == "__main__":
    main()
