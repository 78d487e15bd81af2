"""``baselines/*.yaml`` -> scikit-learn pipelines (or rules, or the prior); fit, predict, save.

Each baseline is a YAML file with a versioned name. Hyper-parameters in its ``grid`` are chosen
on the validation split by the task's main score; the test split is only ever scored.
Models are saved with skops and loaded with an explicit list of trusted types.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .evaluate import Reference, _indicator, load_tasks, multilabel_scores, score_task, task_labels
from .project import active
from .schema import SPLITS
from .suggest import load_rules, suggest_spans

SENTENCE_TASKS = ("elements", "types")


def baseline_names(directory: Path | None = None) -> list[str]:
    directory = directory or active().baselines
    return sorted(p.stem for p in directory.glob("*.yaml") if p.stem != "tasks")


def load_baseline(name: str, directory: Path | None = None) -> dict[str, Any]:
    directory = directory or active().baselines
    path = directory / f"{name}.yaml"
    if not path.exists():
        raise ValueError(f"no baseline {name!r}; available: {', '.join(baseline_names(directory))}")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- the release as labelled sentences ----------------------------------------------------------


@dataclass(frozen=True)
class SplitData:
    sentence_ids: list[str]
    texts: list[str]
    incident_ids: list[str]
    labels: dict[str, list[set[str]]]  # by label field: elements / types
    duplicate_groups: list[str]
    label_sources: list[str]


def read_split(dataset_dir: Path, split: str) -> SplitData:
    """A split of the sentences config, with ClassLabel ints turned back into names."""
    import pyarrow.parquet as pq

    from .layout import parquet_path
    from .schema import LABEL_SOURCES, load_taxonomy

    taxonomy = load_taxonomy()
    path = dataset_dir / parquet_path("sentences", split)
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no {split} split in the release (run `privacy-incidents build`; a project with only a few "
            "incidents may have none in this split, and evaluation needs train, validation and test)"
        )
    table = pq.read_table(path).to_pydict()
    return SplitData(
        sentence_ids=table["sentence_id"],
        texts=table["text"],
        incident_ids=table["incident_id"],
        labels={
            "elements": [{taxonomy.elements[i] for i in row} for row in table["elements"]],
            "types": [{taxonomy.type_names[i] for i in row} for row in table["types"]],
        },
        duplicate_groups=table["duplicate_group"],
        label_sources=[LABEL_SOURCES[i] for i in table["label_source"]],
    )


def filter_split(data: SplitData, keep: list[bool]) -> SplitData:
    """The sentences of ``data`` where ``keep`` is true (e.g. gold only)."""
    return SplitData(
        sentence_ids=_subset(data.sentence_ids, keep),
        texts=_subset(data.texts, keep),
        incident_ids=_subset(data.incident_ids, keep),
        labels={field: _subset(values, keep) for field, values in data.labels.items()},
        duplicate_groups=_subset(data.duplicate_groups, keep),
        label_sources=_subset(data.label_sources, keep),
    )


def _subset(values: list[Any], mask: list[bool]) -> list[Any]:
    return [v for v, keep in zip(values, mask) if keep]


def dedup_mask(test: SplitData, seen_groups: set[str]) -> list[bool]:
    """The de-duplicated test set: first sentence of each text, and none seen in train/validation."""
    kept, first = [], set()
    for group in test.duplicate_groups:
        kept.append(group not in seen_groups and group not in first)
        first.add(group)
    return kept


# --- models ----------------------------------------------------------------------------------------


def make_estimator(spec: dict[str, Any], params: dict[str, Any]) -> Any:
    """A Pipeline(TF-IDF, one-vs-rest classifier) from a baseline spec and chosen parameters."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.naive_bayes import ComplementNB
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    vectorizer_spec = {k: v for k, v in spec["vectorizer"].items() if k != "kind"}
    vectorizer_spec["ngram_range"] = tuple(vectorizer_spec["ngram_range"])
    classifier_spec = {k: v for k, v in spec["classifier"].items() if k != "kind"} | params
    kind = spec["classifier"]["kind"]
    if kind == "logistic_regression":
        classifier = LogisticRegression(random_state=0, **classifier_spec)
    elif kind == "linear_svc":
        classifier = LinearSVC(random_state=0, **classifier_spec)
    elif kind == "complement_nb":
        classifier = ComplementNB(**classifier_spec)
    else:
        raise ValueError(f"unknown classifier kind {kind!r}; valid: logistic_regression, linear_svc, complement_nb")
    return Pipeline([("tfidf", TfidfVectorizer(dtype=np.float64, **vectorizer_spec)), ("clf", OneVsRestClassifier(classifier))])


@dataclass
class FittedBaseline:
    """A baseline fitted for one task: ``predict(texts) -> list[set[label]]``."""

    name: str
    task: str
    labels: list[str]
    kind: str
    model: Any = None  # sklearn Pipeline, or the set of labels the prior predicts
    params: dict[str, Any] | None = None

    def predict(self, texts: list[str]) -> list[set[str]]:
        if self.kind == "majority":
            return [set(self.model) for _ in texts]
        if self.kind == "rules":
            return [rules_labels(text, self.task) for text in texts]
        matrix = self.model.predict(texts)
        return [{self.labels[j] for j in np.flatnonzero(row)} for row in np.asarray(matrix)]


def rules_labels(text: str, task: str) -> set[str]:
    spans = suggest_spans(text, load_rules())
    return {s.element for s in spans} if task == "elements" else {s.label for s in spans}


def fit_task(spec: dict[str, Any], task: str, train: SplitData, validation: SplitData) -> FittedBaseline:
    """Fit on train; for a grid, keep the parameters with the best validation main score."""
    labels = list(task_labels(task))
    field = load_tasks()[task]["labels"]
    fitted = FittedBaseline(spec["name"], task, labels, spec["kind"])
    if spec["kind"] == "rules":
        return fitted
    if spec["kind"] == "majority":
        counts = _indicator(train.labels[field], labels).mean(axis=0)
        fitted.model = [label for label, share in zip(labels, counts) if share > 0.5]
        return fitted
    y = _indicator(train.labels[field], labels).astype(np.int8)
    present = y.any(axis=0)  # a label no training sentence has cannot be learned
    learnable = [label for label, p in zip(labels, present) if p]
    # The vectoriser does not depend on the grid: fit it once, then one classifier per setting.
    template = make_estimator(spec, {})
    vectorizer = template.named_steps["tfidf"].fit(train.texts)
    x_train, x_validation = vectorizer.transform(train.texts), vectorizer.transform(validation.texts)
    grid = spec.get("grid", {})
    best = None
    for values in itertools.product(*grid.values()) if grid else [()]:
        params = dict(zip(grid, values))
        pipeline = make_estimator(spec, params)
        classifier = pipeline.named_steps["clf"].fit(x_train, y[:, present])
        predicted = [{learnable[j] for j in np.flatnonzero(row)} for row in np.asarray(classifier.predict(x_validation))]
        value = multilabel_scores(validation.labels[field], predicted, labels)[load_tasks()[task]["main_score"]]
        if best is None or value > best[0]:
            pipeline.steps = [("tfidf", vectorizer), ("clf", classifier)]
            best = (value, FittedBaseline(spec["name"], task, learnable, spec["kind"], pipeline, params))
    return best[1]


def save_model(fitted: FittedBaseline, directory: Path | None = None) -> Path:
    directory = directory or active().models
    import skops.io as sio

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{fitted.name}-{fitted.task}.skops"
    sio.dump({"labels": fitted.labels, "kind": fitted.kind, "model": fitted.model, "params": fitted.params}, path)
    return path


def load_model(name: str, task: str, directory: Path | None = None) -> FittedBaseline:
    directory = directory or active().models
    """Load a model saved by ``evaluate``; only types skops lists as untrusted *and* we expect are allowed."""
    import skops.io as sio

    spec = load_baseline(name)
    if spec["kind"] == "rules":
        return FittedBaseline(name, task, list(task_labels(task)), "rules")
    path = directory / f"{name}-{task}.skops"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `privacy-incidents evaluate --baseline {name}` first")
    untrusted = sio.get_untrusted_types(file=path)
    allowed_prefixes = ("sklearn.", "numpy.", "scipy.", "builtins.")
    unexpected = [t for t in untrusted if not t.startswith(allowed_prefixes)]
    if unexpected:
        raise ValueError(f"{path} contains unexpected types {unexpected}; refusing to load it")
    saved = sio.load(path, trusted=untrusted)
    return FittedBaseline(name, task, saved["labels"], saved["kind"], saved["model"], saved["params"])


# --- evaluation ---------------------------------------------------------------------------------


def incident_reference(data: SplitData, predictions: list[set[str]]) -> tuple[Reference, list[set[str]]]:
    """Incident-level gold and predictions: the union of their sentences' type sets."""
    gold: dict[str, set[str]] = defaultdict(set)
    pred: dict[str, set[str]] = defaultdict(set)
    for incident, labels, predicted in zip(data.incident_ids, data.labels["types"], predictions):
        gold[incident] |= labels
        pred[incident] |= predicted
    ids = sorted(gold)
    return Reference(ids, [gold[i] for i in ids], ids), [pred[i] for i in ids]


def evaluate_baseline(name: str, dataset_dir: Path, models_dir: Path | None = None) -> dict[str, Any]:
    """Fit every task on train (gold), score validation, test and the de-duplicated test set."""
    spec = load_baseline(name)
    data = {split: read_split(dataset_dir, split) for split in SPLITS}
    train = filter_split(data["train"], [source == "gold" for source in data["train"].label_sources])
    seen = set(data["train"].duplicate_groups) | set(data["validation"].duplicate_groups)
    mask = dedup_mask(data["test"], seen)
    scores: dict[str, dict[str, Any]] = {}
    chosen: dict[str, Any] = {}
    for task in SENTENCE_TASKS:
        fitted = fit_task(spec, task, train, data["validation"])
        chosen[task] = fitted.params
        if models_dir is not None and spec["kind"] != "rules":  # rules need no fitted model
            save_model(fitted, models_dir)
        field = load_tasks()[task]["labels"]
        scores[task] = {}
        for split in ("validation", "test"):
            predictions = fitted.predict(data[split].texts)
            scores[task][split] = score_task(task, data[split].labels[field], predictions, data[split].incident_ids)
            if split == "test":
                scores[task]["test_dedup"] = score_task(
                    task, _subset(data[split].labels[field], mask), _subset(predictions, mask), _subset(data[split].incident_ids, mask)
                )
            if task == "types":
                reference, incident_predictions = incident_reference(data[split], predictions)
                scores.setdefault("incident", {})[split] = score_task("incident", reference.gold, incident_predictions, reference.groups)
    return {
        "baseline": name,
        "version": spec["version"],
        "kind": spec["kind"],
        "description": spec["description"],
        "trained_on": "gold sentences of train (no silver exists in this release)",
        "chosen_parameters": chosen,
        "test_dedup_sentences": sum(mask),
        "scores": scores,
    }


def write_results(result: dict[str, Any], directory: Path | None = None) -> Path:
    directory = directory or active().results
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result['baseline']}.json"
    path.write_text(json.dumps(result, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return path
