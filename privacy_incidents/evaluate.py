"""The benchmark's tasks and the scorer for anyone's predictions (pure, but for reading files at the edges).

Scores are per label (precision, recall, F1, support), micro and macro averages, and a 95%
bootstrap interval of the main score that resamples whole incidents with a fixed seed (see
``metrics``). Only labels decided by reading (``label_source == "gold"``) are an answer key:
the caller passes gold items only, and ``score`` drops silver sentences before scoring.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .metrics import bootstrap_interval, multilabel_scores
from .project import UserError, active, read_once

TASKS_FILE = "tasks.yaml"
SENTENCE_TASKS = ("elements", "types")


class EvaluationError(UserError, ValueError):
    """A known problem in evaluating, predicting or scoring; the message says what and what is valid."""


class PredictionsError(EvaluationError):
    """A predictions file that cannot be scored; the message names the file and line."""


def load_tasks(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The task definitions of the active project (``baselines/tasks.yaml``), read once per file version."""
    return read_once(path or active().baselines / TASKS_FILE, _read_tasks)


def _read_tasks(path: Path) -> dict[str, dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def task_labels(task: str) -> tuple[str, ...]:
    from .schema import load_taxonomy  # pydantic: not for the verbs that never need the taxonomy

    taxonomy = load_taxonomy()
    return taxonomy.elements if load_tasks()[task]["labels"] == "elements" else taxonomy.type_names


def score_task(task: str, gold: list[set[str]], pred: list[set[str]], groups: list[str]) -> dict[str, Any]:
    """Everything reported for one label-set task on one set of items, main score first."""
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


@dataclass(frozen=True)
class Reference:
    """What a split holds for a task: item ids, gold answers, and the incident of each item.

    ``ignored`` are ids of the split that are not scored (silver sentences): a prediction for
    one is accepted and left out, so a file predicting the whole split scores as it should.
    """

    ids: list[str]
    gold: list[Any]
    groups: list[str]
    ignored: frozenset[str] = frozenset()
    texts: list[str] | None = None  # the sentences, for checking predicted span offsets


def json_lines(path: Path, error: type[ValueError] = EvaluationError) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object) of a JSONL file, skipping blank lines; ``error`` names the bad line."""
    try:
        # split("\n"), not splitlines(): U+2028 and friends are valid inside a JSON string.
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"{path}: cannot read as UTF-8 text: {problem}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as problem:
            raise error(f"{path}:{number}: not valid JSON ({problem.msg})") from None


def read_predictions(path: Path, task: str, reference: Reference) -> list[Any]:
    """Predictions aligned to ``reference.ids``; every problem is an error, never a silent score.

    Label-set tasks give a list of label names per item; ``spans`` gives a list of
    ``{"start", "end", "element", "type"}`` with offsets into the sentence text.
    """
    spec = load_tasks()[task]
    key = "incident_id" if spec["unit"] == "incident" else "sentence_id"
    field = "spans" if task == "spans" else spec["labels"]
    position = {item: i for i, item in enumerate(reference.ids)}
    wanted = set(position)
    found: dict[str, Any] = {}
    for number, record in json_lines(path, PredictionsError):
        where = f"{path}:{number}"
        if not isinstance(record, dict) or key not in record or field not in record:
            raise PredictionsError(f"{where}: each line needs {key!r} and {field!r}; got {json.dumps(record)[:80]}")
        item = record[key]
        if item not in wanted and item not in reference.ignored:
            raise PredictionsError(f"{where}: {key} {item!r} is not in the scored split")
        if item in found:
            raise PredictionsError(f"{where}: {key} {item!r} predicted twice")
        if task == "spans":
            from .spans import parse_spans

            text = reference.texts[position[item]] if reference.texts is not None and item in position else None
            found[item] = parse_spans(record[field], where, text)
        else:
            found[item] = _parse_labels(record[field], field, task, where)
    missing = [i for i in reference.ids if i not in found]
    if missing:
        raise PredictionsError(
            f"{path}: {len(missing)} of {len(reference.ids)} {key}s of the split have no prediction "
            f"(first: {missing[:3]}); predict every item, an empty list for none"
        )
    return [found[i] for i in reference.ids]


def _parse_labels(labels: Any, field: str, task: str, where: str) -> set[str]:
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise PredictionsError(f"{where}: {field!r} must be a list of label names")
    valid = set(task_labels(task))
    unknown = sorted(set(labels) - valid)
    if unknown:
        raise PredictionsError(f"{where}: unknown label(s) {unknown}; valid: {', '.join(sorted(valid))}")
    return set(labels)
