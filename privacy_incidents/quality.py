"""How good the labels are: review changes, agreement, and consistency with OCR's own field (pure).

- ``review_changes``: how much the gold labels differ from what ``rules_v1`` suggests for the
  same text (spans kept, retyped, re-bounded, removed, added) — evidence the review was real.
- ``agreement``: two independent annotations of the same texts, compared per sentence
  (Cohen's kappa per element and per type) and per span (exact and overlap F1).
- ``breach_type_consistency``: how often the annotated action types agree with OCR's
  ``type_of_breach``; disagreements are listed for review, never "fixed" to match.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sklearn.metrics import cohen_kappa_score

from .align import Span, sentence_of
from .segment import segment

# OCR's categories and the action types that express them (the narrative wins when they differ).
BREACH_TYPE_ACTIONS = {
    "Theft": {"theft"},
    "Loss": {"loss_or_disposal"},
    "Improper Disposal": {"loss_or_disposal"},
    "Hacking/IT Incident": {"intrusion", "social_engineering"},
    "Unauthorized Access/Disclosure": {
        "unauthorised_access",
        "improper_disclosure",
        "accidental_exposure",
        "mishandling",
        "secondary_use",
        "surveillance_tracking",
    },
}


def _overlaps(a: Span, b: Span) -> bool:
    from .spans import overlapping

    return overlapping(a.start, a.end, b.start, b.end)


@dataclass(frozen=True)
class ReviewChanges:
    suggested: int
    gold: int
    kept: int
    retyped: int
    rebounded: int
    removed: int
    added: int

    def as_dict(self) -> dict[str, int]:
        return self.__dict__.copy()


def review_changes(pairs: list[tuple[list[Span], list[Span]]]) -> ReviewChanges:
    """Compare (suggested, gold) span lists of many texts.

    >>> s = [Span(0, 5, "actor", "unknown"), Span(10, 15, "action", "theft")]
    >>> g = [Span(0, 5, "actor", "criminal_hacker"), Span(20, 25, "action", "theft")]
    >>> review_changes([(s, g)]).as_dict()
    {'suggested': 2, 'gold': 2, 'kept': 0, 'retyped': 1, 'rebounded': 0, 'removed': 1, 'added': 1}
    """
    counts = Counter()
    for suggested, gold in pairs:
        counts["suggested"] += len(suggested)
        counts["gold"] += len(gold)
        for span in suggested:
            same_place = [g for g in gold if (g.start, g.end) == (span.start, span.end)]
            if same_place:
                counts["kept" if same_place[0].label == span.label else "retyped"] += 1
            elif any(_overlaps(span, g) for g in gold):
                counts["rebounded"] += 1
            else:
                counts["removed"] += 1
        counts["added"] += sum(not any(_overlaps(g, s) for s in suggested) for g in gold)
    return ReviewChanges(**{k: counts[k] for k in ReviewChanges.__dataclass_fields__})


def _sentence_labels(text: str, spans: list[Span]) -> list[set[str]]:
    sentences = segment(text)
    labels: list[set[str]] = [set() for _ in sentences]
    for span in spans:
        labels[sentence_of(sentences, span)].update({span.element, span.label})
    return labels


def _f1(matches: int, left: int, right: int) -> float:
    return 2 * matches / (left + right) if left + right else 1.0


def agreement(items: list[tuple[str, list[Span], list[Span]]], elements: tuple[str, ...], type_names: tuple[str, ...]) -> dict[str, Any]:
    """Agreement of two annotations over (text, spans A, spans B) items."""
    sentence_pairs = []
    exact = matched_a = matched_b = total_a = total_b = 0
    for text, spans_a, spans_b in items:
        sentence_pairs.extend(zip(_sentence_labels(text, spans_a), _sentence_labels(text, spans_b)))
        total_a, total_b = total_a + len(spans_a), total_b + len(spans_b)
        exact += len({(s.start, s.end, s.label) for s in spans_a} & {(s.start, s.end, s.label) for s in spans_b})
        matched_a += sum(any(_overlaps(a, b) and a.label == b.label for b in spans_b) for a in spans_a)
        matched_b += sum(any(_overlaps(a, b) and a.label == b.label for a in spans_a) for b in spans_b)

    def kappa(label: str) -> float | None:
        left = [label in a for a, _ in sentence_pairs]
        right = [label in b for _, b in sentence_pairs]
        if len(set(left) | set(right)) < 2:
            return None  # the label never (or always) occurs: kappa is undefined
        return round(float(cohen_kappa_score(left, right)), 3)

    type_kappas = {t: kappa(t) for t in type_names}
    defined = [k for k in type_kappas.values() if k is not None]
    return {
        "texts": len(items),
        "sentences": len(sentence_pairs),
        "element_kappa": {e: kappa(e) for e in elements},
        "type_kappa": type_kappas,
        "mean_type_kappa": round(sum(defined) / len(defined), 3) if defined else None,
        "sentence_exact_type_sets": round(sum(a == b for a, b in sentence_pairs) / max(1, len(sentence_pairs)), 3),
        "span_f1_exact": round(_f1(exact, total_a, total_b), 3),
        # overlap F1: a span counts as matched when the other side has an overlapping span of its type
        "span_f1_overlap": round((matched_a + matched_b) / (total_a + total_b), 3) if total_a + total_b else None,
        "spans": {"a": total_a, "b": total_b},
    }


def breach_type_consistency(rows: list[tuple[str, list[str], set[str]]]) -> dict[str, Any]:
    """(incident id, OCR type_of_breach values, annotated action types) -> agreement and a worklist."""
    checked = agreeing = 0
    disagreements = []
    for incident_id, breach_types, action_types in rows:
        mapped = [t for t in breach_types if t in BREACH_TYPE_ACTIONS]
        if not mapped:
            continue  # Other, Unknown or blank: nothing to compare
        checked += 1
        missing = [t for t in mapped if not BREACH_TYPE_ACTIONS[t] & action_types]
        if missing:
            disagreements.append({"incident_id": incident_id, "type_of_breach": breach_types, "missing": missing, "annotated_actions": sorted(action_types)})
        else:
            agreeing += 1
    return {"checked": checked, "agreeing": agreeing, "rate": round(agreeing / checked, 3) if checked else None, "disagreements": disagreements}
