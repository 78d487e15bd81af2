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


def transfer_fits(spec: dict[str, Any], data: dict[str, Any], protocol: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """The protocol's fits for one baseline, each ``(design, source)``, in the order results list them.

    Each fit is independent of the others (the parameters are fixed), so ``evaluate`` spreads them
    over the cores; ``transfer_cells`` runs one and ``transfer_result`` puts them together.
    """
    protocol = protocol or load_protocol()
    if spec["name"] in (protocol.get("skip") or {}):
        return []
    sources = eligible_sources(data["test"], protocol["min_test_incidents"])
    return [("leave_one_out", source) for source in sources] + [("alone", source) for source in sources]


# Relative cost of one fit per training sentence, by kind: a guess used only to order the work.
FIT_COST = {"crf": 20.0, "sklearn": 1.0}


def fit_cost(spec: dict[str, Any], data: dict[str, Any], fit_key: tuple[str, str]) -> float:
    """How long one fit will take, roughly (to run the longest first)."""
    design, source = fit_key
    kept = [(s != source) if design == "leave_one_out" else (s == source) for s in data["train"].sources]
    return FIT_COST.get(spec["kind"], 0.1) * sum(kept)


def transfer_cells(
    spec: dict[str, Any], data: dict[str, Any], chosen: dict[str, Any], fit_key: tuple[str, str],
    protocol: dict[str, Any] | None = None,
) -> Any:
    """Fit one design's training set and score it; ``None`` when there is nothing to fit on."""
    from .baselines import baseline_tasks
    from .baselines import fit as fit_baseline

    protocol = protocol or load_protocol()
    design, source = fit_key
    sources = eligible_sources(data["test"], protocol["min_test_incidents"])
    tasks = [task for task in protocol["tasks"] if task in baseline_tasks(spec)]
    kept = set(data["train"].sources) - {source} if design == "leave_one_out" else {source}
    train = data["train"].of_sources(kept)
    if not len(train) and spec["kind"] not in ("rules",):
        return None  # no gold training sentences for this design (yet)
    model = fit_baseline(spec, train, data["validation"], chosen or None)
    cells_for = lambda test_source: {  # noqa: E731
        task: _cell(task, data["test"].of_sources({test_source}), model, len(train)) for task in tasks
    }
    return cells_for(source) if design == "leave_one_out" else {test_source: cells_for(test_source) for test_source in sources}


def transfer_result(
    spec: dict[str, Any], data: dict[str, Any], cells: dict[tuple[str, str], Any], protocol: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The protocol's matrices for one baseline from its fits' cells (pure)."""
    protocol = protocol or load_protocol()
    skipped = (protocol.get("skip") or {}).get(spec["name"])
    if skipped:
        return {"protocol": protocol["name"], "version": protocol["version"], "skipped": skipped}
    result: dict[str, Any] = {"protocol": protocol["name"], "version": protocol["version"],
                              "min_test_incidents": protocol["min_test_incidents"],
                              "eligible_sources": eligible_sources(data["test"], protocol["min_test_incidents"]),
                              "leave_one_out": {}, "alone": {}}
    for (design, source), value in cells.items():
        result[design][source] = value
    return result


def run_transfer(spec: dict[str, Any], data: dict[str, Any], chosen: dict[str, Any], protocol: dict[str, Any] | None = None) -> dict[str, Any]:
    """The protocol's matrices for one baseline, its fits one after another; ``data`` holds the gold splits."""
    protocol = protocol or load_protocol()
    keys = transfer_fits(spec, data, protocol)
    return transfer_result(spec, data, {key: transfer_cells(spec, data, chosen, key, protocol) for key in keys}, protocol)
