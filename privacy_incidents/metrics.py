"""Multi-label scores through ``sklearn.metrics``, and bootstrap intervals that resample incidents.

The point estimates (per label, micro, macro) come from ``precision_recall_fscore_support``.
The bootstrap needs a thousand F1s per score, so it sums per-incident true/false positive and
false negative counts over each resample and applies :func:`f1_from_counts`, the one F1 formula
of the project; a test checks it equals scikit-learn's on the unresampled data.

Two macro averages are reported:

- ``macro_f1``: over the labels with support (at least one gold item) in the scored data — the
  main score of the sentence tasks, but not comparable across splits, sources or releases,
  because the set of labels it averages changes with them;
- ``macro_f1_all_labels``: over every label of the taxonomy. A label with no support and no
  prediction scores 1 (nothing to find, nothing wrongly found); one with no support but with
  predictions scores 0. Comparable across splits, sources and releases.

>>> scores = multilabel_scores([{"a"}, {"a", "b"}, set()], [{"a"}, {"a"}, {"b"}], ["a", "b", "c"])
>>> scores["micro_f1"], scores["macro_f1"], scores["macro_f1_all_labels"], scores["per_label"]["b"]["recall"]
(0.6667, 0.5, 0.6667, 0.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 20221222
DIGITS = 4


def indicator(label_sets: list[set[str]], labels: list[str]) -> np.ndarray:
    """A 0/1 matrix (items x labels) of label sets; labels outside ``labels`` are ignored."""
    index = {label: j for j, label in enumerate(labels)}
    rows = [i for i, label_set in enumerate(label_sets) for label in label_set if label in index]
    cols = [index[label] for label_set in label_sets for label in label_set if label in index]
    matrix = np.zeros((len(label_sets), len(labels)), dtype=bool)
    matrix[rows, cols] = True
    return matrix


def f1_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """F1 = 2tp / (2tp + fp + fn), 0 where nothing was found or predicted (element-wise)."""
    tp, fp, fn = (np.asarray(a, dtype=float) for a in (tp, fp, fn))
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros(np.broadcast(tp, fp, fn).shape), where=denominator > 0)


def _round(value: float) -> float:
    return round(float(value), DIGITS)


def multilabel_scores(gold: list[set[str]], pred: list[set[str]], labels: list[str]) -> dict[str, Any]:
    """Per-label precision/recall/F1/support, micro and both macro F1s (see the module doc)."""
    from sklearn.metrics import precision_recall_fscore_support

    labels = list(labels)
    y_true, y_pred = indicator(gold, labels), indicator(pred, labels)
    if not len(gold):  # scikit-learn refuses empty input; nothing scored is all zeros
        y_true = y_pred = np.zeros((1, len(labels)), dtype=bool)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    _, _, f1_absent_ok, _ = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=1.0)
    micro_p, micro_r, micro_f1, _ = precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)
    predicted = y_pred.sum(axis=0)
    scored = support > 0
    return {
        "macro_f1": _round(f1[scored].mean()) if scored.any() else 0.0,
        "macro_f1_all_labels": _round(np.where(scored, f1, f1_absent_ok).mean()) if labels else 0.0,
        "micro_f1": _round(micro_f1),
        "micro_precision": _round(micro_p),
        "micro_recall": _round(micro_r),
        "labels_with_support": int(scored.sum()),
        "per_label": {
            label: {
                "precision": _round(precision[j]),
                "recall": _round(recall[j]),
                "f1": _round(f1[j]),
                "support": int(support[j]),
                "predicted": int(predicted[j]),
            }
            for j, label in enumerate(labels)
        },
    }


def score_from_totals(totals: np.ndarray, score: str) -> np.ndarray:
    """``score`` from count totals of shape (..., labels, 3) = (tp, fp, fn), over the leading axes."""
    tp, fp, fn = totals[..., 0], totals[..., 1], totals[..., 2]
    if score == "micro_f1":
        return f1_from_counts(tp.sum(-1), fp.sum(-1), fn.sum(-1))
    f1 = f1_from_counts(tp, fp, fn)
    supported = (tp + fn) > 0
    if score == "macro_f1_all_labels":
        return np.where(supported | (fp > 0), f1, 1.0).mean(-1)
    if score != "macro_f1":
        raise ValueError(f"no bootstrap for score {score!r}; valid: micro_f1, macro_f1, macro_f1_all_labels")
    counted = supported.sum(-1)
    return np.divide((f1 * supported).sum(-1), counted, out=np.zeros(counted.shape), where=counted > 0)


def bootstrap_interval(
    gold: list[set[str]], pred: list[set[str]], groups: list[str], labels: list[str], score: str
) -> tuple[float, float]:
    """95% interval of ``score`` over resamples of whole groups (incidents), fixed seed.

    Each resample draws as many groups as there are, with replacement; all resamples are
    summed at once as a (samples x groups) count matrix times the per-group counts.
    """
    if not groups:
        return 0.0, 0.0
    g, p = indicator(gold, list(labels)), indicator(pred, list(labels))
    counts = np.stack([g & p, p & ~g, g & ~p], axis=-1).astype(np.int64)  # items x labels x 3
    names, index = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    per_group = np.zeros((len(names), len(labels), 3), dtype=np.int64)
    np.add.at(per_group, index, counts)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws = rng.integers(0, len(names), (BOOTSTRAP_SAMPLES, len(names)))
    weights = np.zeros((BOOTSTRAP_SAMPLES, len(names)), dtype=np.int64)
    np.add.at(weights, (np.repeat(np.arange(BOOTSTRAP_SAMPLES), len(names)), draws.ravel()), 1)
    totals = np.tensordot(weights, per_group, axes=(1, 0))  # samples x labels x 3
    low, high = np.percentile(score_from_totals(totals, score), [2.5, 97.5])
    return _round(low), _round(high)
