"""Metrics and the scorer for anyone's predictions (pure, but for reading files at the edges).

Scores are per label (precision, recall, F1, support), micro and macro averages, and a 95%
bootstrap interval of the main score that resamples whole incidents with a fixed seed.

>>> gold = [{"a"}, {"a", "b"}, set()]
>>> pred = [{"a"}, {"a"}, {"b"}]
>>> scores = multilabel_scores(gold, pred, ["a", "b"])
>>> scores["micro_f1"], scores["per_label"]["b"]["recall"]
(0.6667, 0.0)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .project import active
from .schema import load_taxonomy

TASKS_FILE = "tasks.yaml"
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 20221222
DIGITS = 4


def load_tasks(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The task definitions of the active project (``baselines/tasks.yaml``), read once per file version."""
    path = (path or active().baselines / TASKS_FILE).resolve()
    return _tasks_at(path, path.stat().st_mtime_ns)


@cache
def _tasks_at(path: Path, modified_ns: int) -> dict[str, dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def task_labels(task: str) -> tuple[str, ...]:
    taxonomy = load_taxonomy()
    return taxonomy.elements if load_tasks()[task]["labels"] == "elements" else taxonomy.type_names


def _indicator(label_sets: list[set[str]], labels: list[str]) -> np.ndarray:
    """A 0/1 matrix (items x labels) of label sets."""
    index = {label: j for j, label in enumerate(labels)}
    matrix = np.zeros((len(label_sets), len(labels)), dtype=bool)
    for i, label_set in enumerate(label_sets):
        for label in label_set:
            if label in index:
                matrix[i, index[label]] = True
    return matrix


def _counts(gold: list[set[str]], pred: list[set[str]], labels: list[str]) -> np.ndarray:
    """Per item and label: true positives, false positives, false negatives — shape (n, L, 3)."""
    g, p = _indicator(gold, labels), _indicator(pred, labels)
    return np.stack([g & p, p & ~g, g & ~p], axis=-1).astype(np.int64)


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros(tp.shape, dtype=float), where=denominator > 0)


def _summary(totals: np.ndarray, labels: list[str]) -> dict[str, Any]:
    tp, fp, fn = totals[:, 0], totals[:, 1], totals[:, 2]
    support = tp + fn
    scored = support > 0  # macro averages run over labels present in the gold of this split
    per_label = {}
    for j, label in enumerate(labels):
        precision = tp[j] / (tp[j] + fp[j]) if tp[j] + fp[j] else 0.0
        recall = tp[j] / support[j] if support[j] else 0.0
        per_label[label] = {
            "precision": round(float(precision), DIGITS),
            "recall": round(float(recall), DIGITS),
            "f1": round(float(_f1(tp[j : j + 1], fp[j : j + 1], fn[j : j + 1])[0]), DIGITS),
            "support": int(support[j]),
            "predicted": int(tp[j] + fp[j]),
        }
    macro = float(_f1(tp, fp, fn)[scored].mean()) if scored.any() else 0.0
    micro = float(_f1(tp.sum(keepdims=True), fp.sum(keepdims=True), fn.sum(keepdims=True))[0])
    micro_p = tp.sum() / (tp.sum() + fp.sum()) if tp.sum() + fp.sum() else 0.0
    micro_r = tp.sum() / (tp.sum() + fn.sum()) if tp.sum() + fn.sum() else 0.0
    return {
        "macro_f1": round(macro, DIGITS),
        "micro_f1": round(micro, DIGITS),
        "micro_precision": round(float(micro_p), DIGITS),
        "micro_recall": round(float(micro_r), DIGITS),
        "labels_with_support": int(scored.sum()),
        "per_label": per_label,
    }


def multilabel_scores(gold: list[set[str]], pred: list[set[str]], labels: list[str]) -> dict[str, Any]:
    return _summary(_counts(gold, pred, labels).sum(axis=0), list(labels))


def bootstrap_interval(
    gold: list[set[str]], pred: list[set[str]], groups: list[str], labels: list[str], score: str
) -> tuple[float, float]:
    """95% interval of ``score`` over resamples of whole groups (incidents), fixed seed."""
    counts = _counts(gold, pred, list(labels))
    names = sorted(set(groups))
    index = {name: i for i, name in enumerate(names)}
    per_group = np.zeros((len(names), len(labels), 3), dtype=np.int64)
    np.add.at(per_group, [index[g] for g in groups], counts)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    values = []
    for _ in range(BOOTSTRAP_SAMPLES):
        totals = per_group[rng.integers(0, len(names), len(names))].sum(axis=0)
        tp, fp, fn = totals[:, 0], totals[:, 1], totals[:, 2]
        if score == "micro_f1":
            values.append(float(_f1(tp.sum(keepdims=True), fp.sum(keepdims=True), fn.sum(keepdims=True))[0]))
        else:
            scored = (tp + fn) > 0
            values.append(float(_f1(tp, fp, fn)[scored].mean()) if scored.any() else 0.0)
    low, high = np.percentile(values, [2.5, 97.5])
    return round(float(low), DIGITS), round(float(high), DIGITS)


def score_task(task: str, gold: list[set[str]], pred: list[set[str]], groups: list[str]) -> dict[str, Any]:
    """Everything reported for one task on one split, main score first."""
    labels = list(task_labels(task))
    main = load_tasks()[task]["main_score"]
    scores = multilabel_scores(gold, pred, labels)
    return {
        "main_score": main,
        "main_value": scores[main],
        "ci95": list(bootstrap_interval(gold, pred, groups, labels, main)),
        "n": len(gold),
        "incidents": len(set(groups)),
        **scores,
    }


# --- the scorer for users' predictions ---------------------------------------------------------


class PredictionsError(ValueError):
    """A predictions file that cannot be scored; the message says where and what is valid."""


@dataclass(frozen=True)
class Reference:
    """What a split holds for a task: item ids, gold label sets, and the incident of each item."""

    ids: list[str]
    gold: list[set[str]]
    groups: list[str]


def json_lines(path: Path, error: type[ValueError] = ValueError) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object) of a JSONL file, skipping blank lines; ``error`` names the bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"{path}: cannot read as UTF-8 text: {problem}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as problem:
            raise error(f"{path}:{number}: not valid JSON ({problem.msg})") from None


def read_predictions(path: Path, task: str, reference: Reference) -> list[set[str]]:
    """Predictions aligned to ``reference.ids``; every problem is an error, never a silent score."""
    key = "incident_id" if load_tasks()[task]["unit"] == "incident" else "sentence_id"
    field = load_tasks()[task]["labels"]
    valid = set(task_labels(task))
    wanted = set(reference.ids)
    found: dict[str, set[str]] = {}
    for number, record in json_lines(path, PredictionsError):
        if not isinstance(record, dict) or key not in record or field not in record:
            raise PredictionsError(f"{path}:{number}: each line needs {key!r} and {field!r} (a list of labels); got {json.dumps(record)[:80]}")
        item, labels = record[key], record[field]
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            raise PredictionsError(f"{path}:{number}: {field!r} must be a list of label names")
        unknown = sorted(set(labels) - valid)
        if unknown:
            raise PredictionsError(f"{path}:{number}: unknown label(s) {unknown}; valid: {', '.join(sorted(valid))}")
        if item not in wanted:
            raise PredictionsError(f"{path}:{number}: {key} {item!r} is not in the scored split")
        if item in found:
            raise PredictionsError(f"{path}:{number}: {key} {item!r} predicted twice")
        found[item] = set(labels)
    missing = [i for i in reference.ids if i not in found]
    if missing:
        raise PredictionsError(
            f"{path}: {len(missing)} of {len(reference.ids)} {key}s of the split have no prediction "
            f"(first: {missing[:3]}); predict every item, an empty list for none"
        )
    return [found[i] for i in reference.ids]
