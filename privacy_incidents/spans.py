"""The ``spans`` task: sentence -> typed spans with character offsets into the sentence (pure).

A span is ``(start, end, label)`` with ``label`` = ``element:type``. Scores:

- exact-match span F1: a predicted span counts only when a gold span of the same sentence has
  the same start, end and label; micro over all spans (the main score) and macro over the types
  with support (and over every type, see ``metrics``). It is computed by ``multilabel_scores``
  over the union of gold and predicted spans, each an item whose label set is its label or empty;
- overlap F1: a predicted span counts when it overlaps a gold span of its label, and a gold span
  counts when a predicted one of its label overlaps it; F1 = (matched predicted + matched gold)
  / (predicted + gold), the F1 of those two match counts.

>>> gold = [{(0, 5, "actor:unknown")}, {(3, 9, "data_accessed:health")}]
>>> pred = [{(0, 5, "actor:unknown")}, {(4, 9, "data_accessed:health")}]
>>> s = score_spans(gold, pred, ["i1", "i2"], ["actor:unknown", "data_accessed:health"])
>>> s["micro_f1"], s["overlap"]["f1"]
(0.5, 1.0)
"""

from __future__ import annotations

import re
from typing import Any

from .metrics import bootstrap_interval, f1_from_counts, multilabel_scores

LabelledSpan = tuple[int, int, str]
TOKEN = re.compile(r"\w+|[^\w\s]")


def overlapping(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Do two half-open character ranges share a character? (The project's one overlap test.)"""
    return a_start < b_end and b_start < a_end


def span_items(gold: list[set[LabelledSpan]], pred: list[set[LabelledSpan]], groups: list[str]):
    """Every gold or predicted span as an item: (gold label set, predicted label set, group)."""
    gold_sets, pred_sets, item_groups = [], [], []
    for gold_spans, pred_spans, group in zip(gold, pred, groups):
        for span in sorted(gold_spans | pred_spans):
            gold_sets.append({span[2]} if span in gold_spans else set())
            pred_sets.append({span[2]} if span in pred_spans else set())
            item_groups.append(group)
    return gold_sets, pred_sets, item_groups


def overlap_scores(gold: list[set[LabelledSpan]], pred: list[set[LabelledSpan]]) -> dict[str, Any]:
    matched_pred = sum(
        any(overlapping(p[0], p[1], g[0], g[1]) and p[2] == g[2] for g in gold_spans)
        for gold_spans, pred_spans in zip(gold, pred) for p in pred_spans
    )
    matched_gold = sum(
        any(overlapping(p[0], p[1], g[0], g[1]) and p[2] == g[2] for p in pred_spans)
        for gold_spans, pred_spans in zip(gold, pred) for g in gold_spans
    )
    n_pred, n_gold = sum(map(len, pred)), sum(map(len, gold))
    # (matched_pred + matched_gold) / (n_pred + n_gold), written as the F1 of half-counts
    tp = (matched_pred + matched_gold) / 2
    f1 = f1_from_counts(tp, n_pred - matched_pred, n_gold - matched_gold)
    return {
        "precision": round(matched_pred / n_pred, 4) if n_pred else 0.0,
        "recall": round(matched_gold / n_gold, 4) if n_gold else 0.0,
        "f1": round(float(f1), 4),
    }


def score_spans(
    gold: list[set[LabelledSpan]], pred: list[set[LabelledSpan]], groups: list[str], labels: list[str], main: str = "micro_f1"
) -> dict[str, Any]:
    """Exact-match scores (main first), bootstrap interval by incident, and overlap scores."""
    gold_sets, pred_sets, item_groups = span_items(gold, pred, groups)
    scores = multilabel_scores(gold_sets, pred_sets, labels)
    return {
        "main_score": main,
        "main_value": scores[main],
        "ci95": list(bootstrap_interval(gold_sets, pred_sets, item_groups, labels, main)),
        "n": len(gold),
        "incidents": len(set(groups)),
        "gold_spans": sum(map(len, gold)),
        "predicted_spans": sum(map(len, pred)),
        "overlap": overlap_scores(gold, pred),
        **scores,
    }


def parse_spans(value: Any, where: str, text: str | None, labels: set[str] | None = None) -> set[LabelledSpan]:
    """A predicted span list from JSON, strictly: every problem names the line and what is valid."""
    from .evaluate import PredictionsError
    from .schema import load_taxonomy

    taxonomy = load_taxonomy()
    if not isinstance(value, list):
        raise PredictionsError(f"{where}: 'spans' must be a list of {{\"start\", \"end\", \"element\", \"type\"}} objects")
    spans: set[LabelledSpan] = set()
    for number, span in enumerate(value, start=1):
        at = f"{where}: span {number}"
        if not isinstance(span, dict) or not {"start", "end", "element", "type"} <= set(span):
            raise PredictionsError(f"{at}: needs 'start', 'end', 'element' and 'type'; got {str(span)[:80]}")
        start, end, element, type_name = span["start"], span["end"], span["element"], span["type"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            raise PredictionsError(f"{at}: 'start' and 'end' must be integers (character offsets into the sentence)")
        if text is not None and not 0 <= start < end <= len(text):
            raise PredictionsError(f"{at}: offsets {start}-{end} outside the sentence; valid: 0 <= start < end <= {len(text)}")
        if element not in taxonomy.elements:
            raise PredictionsError(f"{at}: unknown element {element!r}; valid: {', '.join(taxonomy.elements)}")
        if type_name not in taxonomy.types_by_element[element]:
            raise PredictionsError(f"{at}: unknown type {type_name!r} of {element}; valid: {', '.join(taxonomy.types_by_element[element])}")
        key = (start, end, f"{element}:{type_name}")
        if key in spans:
            raise PredictionsError(f"{at}: the same span is listed twice")
        spans.add(key)
    return spans


# --- tokens and BIO tags (for sequence taggers) -------------------------------------------------


def tokens(text: str, pattern: re.Pattern[str] = TOKEN) -> list[tuple[int, int]]:
    """Token offsets: runs of word characters, and every other non-space character alone."""
    return [match.span() for match in pattern.finditer(text)]


def bio_tags(offsets: list[tuple[int, int]], spans: set[LabelledSpan]) -> list[str]:
    """One tag a token: B-/I-label for tokens overlapping a span, O elsewhere; earlier, longer spans win."""
    tags = ["O"] * len(offsets)
    for start, end, label in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]), s[2])):
        covered = [i for i, (a, b) in enumerate(offsets) if overlapping(a, b, start, end)]
        if covered and all(tags[i] == "O" for i in covered):
            tags[covered[0]] = f"B-{label}"
            for i in covered[1:]:
                tags[i] = f"I-{label}"
    return tags


def spans_from_tags(offsets: list[tuple[int, int]], tags: list[str]) -> list[tuple[int, int, str, list[int]]]:
    """Spans (start, end, label, token indices) from BIO tags; an I- after another label starts a span."""
    spans: list[tuple[int, int, str, list[int]]] = []
    current: list[Any] | None = None
    for i, tag in enumerate(tags):
        if tag == "O":
            current = None
            continue
        prefix, label = tag[:1], tag[2:]
        if prefix == "B" or current is None or current[2] != label:
            current = [offsets[i][0], offsets[i][1], label, [i]]
            spans.append(current)  # type: ignore[arg-type]
        else:
            current[1] = offsets[i][1]
            current[3].append(i)
    return [tuple(s) for s in spans]  # type: ignore[misc]
