"""Transfer across sources, as declared in ``baselines/transfer.yaml`` (leave one source out; one source alone).

A source is *eligible* when its gold test split has at least ``min_test_incidents`` incidents.

- ``leave_one_out[held_out][task]``: fitted on the gold train sentences of every other source,
  scored on ``held_out``'s test sentences (``null`` when no other source has training data);
- ``alone[train_source][test_source][task]``: fitted on ``train_source``'s train sentences alone,
  scored on each eligible source's test sentences; the diagonal is in-source.

Each cell is the task's main score with its bootstrap interval and the counts behind it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from .evaluate import EvaluationError
from .project import active

PROTOCOL_FILE = "transfer.yaml"


def load_protocol(path: Path | None = None) -> dict[str, Any]:
    """The transfer protocol of the active project (``baselines/transfer.yaml``)."""
    path = path or active().baselines / PROTOCOL_FILE
    protocol = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(protocol.get("min_test_incidents"), int) or not protocol.get("tasks"):
        raise EvaluationError(f"{path}: needs an integer 'min_test_incidents' and a list of 'tasks'")
    return protocol


def eligible_sources(test: Any, minimum: int) -> list[str]:
    """Sources with at least ``minimum`` incidents among the (gold) test sentences."""
    incidents: dict[str, set[str]] = defaultdict(set)
    for source, incident in zip(test.sources, test.incident_ids):
        incidents[source].add(incident)
    return sorted(source for source, ids in incidents.items() if len(ids) >= minimum)


def _cell(task: str, test: Any, model: Any, train_sentences: int) -> dict[str, Any]:
    from .baselines import score_predictions, task_predictions

    scores = score_predictions(task, test, task_predictions(task, model.predict(test.texts)))
    return {"main_score": scores["main_score"], "main_value": scores["main_value"], "ci95": scores["ci95"],
            "train_sentences": train_sentences, "test_sentences": scores["n"], "test_incidents": scores["incidents"]}


def run_transfer(
    spec: dict[str, Any], data: dict[str, Any], chosen: dict[str, Any], full_model: Any = None, protocol: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The protocol's matrices for one baseline; ``data`` holds the gold splits.

    A training set that is the whole train split (one source alone, when it is the only one)
    reuses ``full_model``, fitted on exactly that, instead of fitting it again.
    """
    from .baselines import baseline_tasks
    from .baselines import fit as fit_baseline

    def fit(spec: dict[str, Any], train: Any, validation: Any, fixed: Any) -> Any:
        if full_model is not None and train.sentence_ids == data["train"].sentence_ids:
            return full_model
        return fit_baseline(spec, train, validation, fixed)

    protocol = protocol or load_protocol()
    sources = eligible_sources(data["test"], protocol["min_test_incidents"])
    tasks = [task for task in protocol["tasks"] if task in baseline_tasks(spec)]
    fixed = chosen or None
    result: dict[str, Any] = {"protocol": protocol["name"], "version": protocol["version"],
                              "min_test_incidents": protocol["min_test_incidents"], "eligible_sources": sources,
                              "leave_one_out": {}, "alone": {}}
    test_of = {source: data["test"].of_sources({source}) for source in sources}
    all_sources = set(data["train"].sources)
    for held_out in sources:
        train = data["train"].of_sources(all_sources - {held_out})
        if not len(train) and spec["kind"] not in ("rules",):
            result["leave_one_out"][held_out] = None  # nothing else to fit on
            continue
        model = fit(spec, train, data["validation"], fixed)
        result["leave_one_out"][held_out] = {task: _cell(task, test_of[held_out], model, len(train)) for task in tasks}
    for train_source in sources:
        train = data["train"].of_sources({train_source})
        if not len(train) and spec["kind"] not in ("rules",):
            result["alone"][train_source] = None  # no gold training sentences of this source (yet)
            continue
        model = fit(spec, train, data["validation"], fixed)
        result["alone"][train_source] = {
            test_source: {task: _cell(task, test_of[test_source], model, len(train)) for task in tasks} for test_source in sources
        }
    return result
