"""``baselines/*.yaml`` -> models (TF-IDF + linear heads, rules, a CRF, or the prior); fit, predict, save.

Each baseline is a YAML file with a versioned name. Hyper-parameters in its ``grid`` are chosen
on the gold sentences of the validation split by the task's main score; the test split is only
ever scored, and only against gold labels (``label_source == "gold"``): silver labels were
suggested by rules, so they are never an answer key nor training data.

TF-IDF baselines share one vectoriser between the two sentence tasks and store it, with every
task's linear head as plain arrays, in one ``.npz`` file read with ``allow_pickle=False``: no
code is loaded from a model file (skops would do too, but importing it costs seconds per run).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .evaluate import SENTENCE_TASKS, EvaluationError, Reference, load_tasks, score_task, task_labels
from .metrics import indicator, multilabel_scores
from .atomic import write_atomic
from .project import active
from .spans import LabelledSpan, score_spans

NOT_BASELINES = ("tasks", "transfer")  # the other YAML files beside the baselines
SPAN_KINDS = ("rules", "crf")
MODEL_FORMAT = 2  # one .npz per TF-IDF baseline: vectoriser + every task's head


def baseline_names(directory: Path | None = None) -> list[str]:
    directory = directory or active().baselines
    return sorted(p.stem for p in directory.glob("*.yaml") if p.stem not in NOT_BASELINES)


def load_baseline(name: str, directory: Path | None = None) -> dict[str, Any]:
    directory = directory or active().baselines
    names = baseline_names(directory)
    if name not in names:
        raise EvaluationError(f"no baseline {name!r} in {directory}; available: {', '.join(names) or 'none'}")
    return yaml.safe_load((directory / f"{name}.yaml").read_text(encoding="utf-8"))


def baseline_tasks(spec: dict[str, Any]) -> tuple[str, ...]:
    """The tasks a baseline is scored on: sentence tasks always; ``spans`` when it finds spans."""
    return SENTENCE_TASKS + (("spans",) if spec["kind"] in SPAN_KINDS else ())


# --- the release as labelled sentences ----------------------------------------------------------


@dataclass(frozen=True)
class SplitData:
    sentence_ids: list[str]
    texts: list[str]
    incident_ids: list[str]
    labels: dict[str, list[set[str]]]  # by label field: elements / types
    duplicate_groups: list[str]
    label_sources: list[str]
    sources: list[str] = field(default_factory=list)
    spans: list[set[LabelledSpan]] = field(default_factory=list)  # offsets into the sentence

    def __len__(self) -> int:
        return len(self.sentence_ids)

    def subset(self, keep: list[bool] | np.ndarray) -> SplitData:
        """The sentences where ``keep`` is true (e.g. gold only, or one source)."""
        keep = list(keep)

        def pick(values: list[Any]) -> list[Any]:
            return [v for v, k in zip(values, keep) if k]

        return SplitData(
            pick(self.sentence_ids), pick(self.texts), pick(self.incident_ids),
            {name: pick(values) for name, values in self.labels.items()},
            pick(self.duplicate_groups), pick(self.label_sources), pick(self.sources), pick(self.spans),
        )

    def gold(self) -> SplitData:
        return self.subset([source == "gold" for source in self.label_sources])

    def of_sources(self, sources: set[str]) -> SplitData:
        return self.subset([source in sources for source in self.sources])


def _release_path(dataset_dir: Path, config: str, split: str) -> Path:
    from .layout import parquet_path

    path = dataset_dir / parquet_path(config, split)
    if not dataset_dir.is_dir():
        raise EvaluationError(
            f"{dataset_dir}: no release here; run from the project root (or pass --root PROJECT) "
            "after `privacy-incidents build`"
        )
    if not path.exists():
        raise EvaluationError(
            f"{path}: no {split} split in the release (run `privacy-incidents build`; a project with only a few "
            "incidents may have none in this split, and evaluation needs train, validation and test)"
        )
    return path


def read_split(dataset_dir: Path, split: str) -> SplitData:
    """A split of the sentences config (ClassLabel ints turned back into names), with its spans."""
    import pyarrow.parquet as pq

    from .schema import LABEL_SOURCES, load_taxonomy

    taxonomy = load_taxonomy()
    table = pq.read_table(_release_path(dataset_dir, "sentences", split)).to_pydict()
    spans_path = _release_path(dataset_dir, "spans", split)
    spans = pq.read_table(spans_path, columns=["sentence_id", "start", "end", "type"]).to_pydict()
    by_sentence: dict[str, set[LabelledSpan]] = defaultdict(set)
    starts = dict(zip(table["sentence_id"], table["start"]))
    for sentence, start, end, type_index in zip(spans["sentence_id"], spans["start"], spans["end"], spans["type"]):
        offset = starts[sentence]
        by_sentence[sentence].add((start - offset, end - offset, taxonomy.type_names[type_index]))
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
        sources=table["source"],
        spans=[by_sentence.get(s, set()) for s in table["sentence_id"]],
    )


def release_fingerprint(dataset_dir: Path) -> str:
    """sha256 over the sha256 of every Parquet file of the release (with its path): stale results show."""
    lines = [
        f"{path.relative_to(dataset_dir).as_posix()} {hashlib.sha256(path.read_bytes()).hexdigest()}\n"
        for path in sorted(dataset_dir.rglob("*.parquet"))
    ]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def dedup_mask(test: SplitData, seen_groups: set[str]) -> list[bool]:
    """The de-duplicated test set: first sentence of each text, and none seen in train/validation."""
    kept, first = [], set()
    for group in test.duplicate_groups:
        kept.append(group not in seen_groups and group not in first)
        first.add(group)
    return kept


def label_counts(data: dict[str, SplitData]) -> dict[str, dict[str, int]]:
    """Sentences per split and label source, from the data (what was trained and scored on)."""
    return {split: {source: Counter(d.label_sources)[source] for source in ("gold", "silver")} for split, d in data.items()}


# --- models ----------------------------------------------------------------------------------------


def make_vectorizer(spec: dict[str, Any]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    options = {k: v for k, v in spec["vectorizer"].items() if k != "kind"}
    options["ngram_range"] = tuple(options["ngram_range"])
    return TfidfVectorizer(dtype=np.float64, **options)


def make_classifier(spec: dict[str, Any], params: dict[str, Any]) -> Any:
    """A one-vs-rest classifier from a baseline spec and chosen parameters."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    options = {k: v for k, v in spec["classifier"].items() if k != "kind"} | params
    kind = spec["classifier"]["kind"]
    if kind == "logistic_regression":
        classifier = LogisticRegression(random_state=0, **options)
    elif kind == "linear_svc":
        classifier = LinearSVC(random_state=0, **options)
    elif kind == "complement_nb":
        classifier = ComplementNB(**options)
    else:
        raise EvaluationError(f"unknown classifier kind {kind!r}; valid: logistic_regression, linear_svc, complement_nb")
    return OneVsRestClassifier(classifier)


def make_estimator(spec: dict[str, Any], params: dict[str, Any]) -> Any:
    """A Pipeline(TF-IDF, one-vs-rest classifier), e.g. for benchmarks."""
    from sklearn.pipeline import Pipeline

    return Pipeline([("tfidf", make_vectorizer(spec)), ("clf", make_classifier(spec, params))])


@dataclass
class Head:
    """A task's linear head: label j is predicted when ``x @ coef[j] + intercept[j] > 0``."""

    labels: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    params: dict[str, Any]

    def decide(self, x: Any) -> np.ndarray:
        return np.asarray(x @ self.coef.T) + self.intercept > 0


def linear_head(classifier: Any, labels: list[str], params: dict[str, Any]) -> Head:
    """The fitted one-vs-rest classifier as one weight matrix (its predictions are linear decisions)."""
    rows, intercepts = [], []
    for estimator in classifier.estimators_:
        if hasattr(estimator, "coef_"):  # LinearSVC, LogisticRegression: decision_function > 0
            rows.append(np.asarray(estimator.coef_).ravel())
            intercepts.append(float(np.ravel(estimator.intercept_)[0]))
        else:  # ComplementNB: class 1 when its joint log-likelihood is the larger
            log_prob = estimator.feature_log_prob_
            rows.append(log_prob[1] - log_prob[0])
            intercepts.append(0.0)
    return Head(labels, np.vstack(rows), np.asarray(intercepts), params)


def label_sets(decisions: np.ndarray, labels: list[str]) -> list[set[str]]:
    names = np.asarray(labels, dtype=object)
    return [set(names[row]) for row in decisions]


@dataclass
class Model:
    """A fitted baseline: ``predict(texts)`` gives every task's predictions."""

    name: str
    kind: str
    heads: dict[str, Head] = field(default_factory=dict)  # TF-IDF
    vectorizer: Any = None
    prior: dict[str, list[str]] = field(default_factory=dict)  # majority
    tagger: Any = None  # CRF

    def decisions(self, texts: list[str]) -> dict[str, tuple[np.ndarray, list[str]]]:
        """Per sentence task: a boolean (sentences x labels) matrix and its labels (TF-IDF only)."""
        x = self.vectorizer.transform(texts)
        return {task: (head.decide(x), head.labels) for task, head in self.heads.items()}

    def predict_spans(self, texts: list[str], with_scores: bool = False) -> list[list[tuple[int, int, str, float]]]:
        """(start, end, label, score) of each text's spans; rules give every span score 1.0."""
        if self.kind == "rules":
            from .suggest import load_rules, suggest_spans

            rules = load_rules()
            return [[(s.start, s.end, s.label, 1.0) for s in suggest_spans(text, rules)] for text in texts]
        if self.kind == "crf":
            return self.tagger.predict_spans(texts, with_scores)
        raise EvaluationError(f"baseline {self.name} ({self.kind}) does not find spans")

    def predict(self, texts: list[str]) -> dict[str, list[Any]]:
        """Per task: label sets (sentence tasks) or span sets (``spans``)."""
        if self.kind == "majority":
            return {task: [set(self.prior[task]) for _ in texts] for task in SENTENCE_TASKS}
        if self.kind in SPAN_KINDS:
            found = self.predict_spans(texts)
            types = [{label for *_, label, _ in spans} for spans in found]
            return {
                "elements": [{label.split(":")[0] for label in labels} for labels in types],
                "types": types,
                "spans": [{(start, end, label) for start, end, label, _ in spans} for spans in found],
            }
        return {task: label_sets(decided, labels) for task, (decided, labels) in self.decisions(texts).items()}


def _grid(spec: dict[str, Any], fixed: dict[str, Any] | None) -> list[dict[str, Any]]:
    if fixed is not None:
        return [fixed]
    grid = spec.get("grid", {})
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())] if grid else [{}]


def fit(spec: dict[str, Any], train: SplitData, validation: SplitData, fixed: dict[str, Any] | None = None) -> Model:
    """Fit on ``train``; per task keep the grid setting with the best validation main score.

    ``fixed`` (task -> parameters) skips the grid, e.g. to refit with parameters already chosen.
    """
    kind = spec["kind"]
    model = Model(spec["name"], kind)
    if kind == "rules":
        return model
    if kind == "majority":
        for task in SENTENCE_TASKS:
            labels = list(task_labels(task))
            shares = indicator(train.labels[load_tasks()[task]["labels"]], labels).mean(axis=0) if len(train) else np.zeros(len(labels))
            model.prior[task] = [label for label, share in zip(labels, shares) if share > 0.5]
        return model
    if not len(train):
        raise EvaluationError(f"{spec['name']}: no gold training sentences to fit on")
    if kind == "crf":
        from .crf import fit_crf

        model.tagger = fit_crf(spec, train, validation, None if fixed is None else fixed.get("spans"))
        return model
    # The vectoriser does not depend on the task or the grid: fit it once.
    model.vectorizer = make_vectorizer(spec).fit(train.texts)
    x_train, x_validation = model.vectorizer.transform(train.texts), model.vectorizer.transform(validation.texts)
    for task in SENTENCE_TASKS:
        field_name, main = load_tasks()[task]["labels"], load_tasks()[task]["main_score"]
        labels = list(task_labels(task))
        y = indicator(train.labels[field_name], labels).astype(np.int8)
        varies = y.any(axis=0) & ~y.all(axis=0)  # a label no (or every) training sentence has cannot be learned
        learnable = [label for label, v in zip(labels, varies) if v]
        best = None
        for params in _grid(spec, None if fixed is None else fixed[task]):
            head = linear_head(make_classifier(spec, params).fit(x_train, y[:, varies]), learnable, params)
            value = multilabel_scores(validation.labels[field_name], label_sets(head.decide(x_validation), learnable), labels)[main]
            if best is None or value > best[0]:
                best = (value, head)
        model.heads[task] = best[1]
    return model


def chosen_parameters(model: Model) -> dict[str, Any]:
    if model.heads:
        return {task: head.params for task, head in model.heads.items()}
    if model.tagger is not None:
        return {task: model.tagger.params for task in ("elements", "types", "spans")}
    return {}


# --- saving and loading ---------------------------------------------------------------------------


def model_path(name: str, kind: str, directory: Path | None = None) -> Path:
    directory = directory or active().models
    return directory / (f"{name}.crfsuite" if kind == "crf" else f"{name}.json" if kind == "majority" else f"{name}.npz")


def save_model(model: Model, directory: Path | None = None) -> Path | None:
    directory = directory or active().models
    """Write the fitted model atomically; rules need no file.

    TF-IDF models are one ``.npz`` (numpy arrays only, read with ``allow_pickle=False``, so
    loading runs no code from the file): the vocabulary, idf, and each task's weights, with the
    labels and parameters as a JSON string.
    """
    import io

    path = model_path(model.name, model.kind, directory)
    if model.kind == "rules":
        return None
    if model.kind == "majority":
        write_atomic(path, json.dumps(model.prior, indent=1) + "\n")
    elif model.kind == "crf":
        model.tagger.save(path)
    else:
        vectorizer = model.vectorizer
        terms = np.empty(len(vectorizer.vocabulary_), dtype=object)
        for term, j in vectorizer.vocabulary_.items():
            terms[j] = term
        meta = {"format": MODEL_FORMAT, "vectorizer": _plain(vectorizer.get_params()),
                "heads": {task: {"labels": head.labels, "params": head.params} for task, head in model.heads.items()}}
        arrays = {"meta": np.array(json.dumps(meta)), "terms": terms.astype(str), "idf": vectorizer.idf_}
        for task, head in model.heads.items():
            arrays[f"{task}.coef"], arrays[f"{task}.intercept"] = head.coef, head.intercept
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        write_atomic(path, buffer.getvalue())
    return path


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    """Vectoriser parameters that are plain data (the dtype is fixed, callables are never used)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items() if k not in ("dtype", "vocabulary") and not callable(v)}


def not_fitted(name: str, path: Path) -> EvaluationError:
    return EvaluationError(f"{path}: baseline {name} is not fitted; fit it with `privacy-incidents evaluate --baseline {name}`")


def load_model(name: str, directory: Path | None = None) -> Model:
    directory = directory or active().models
    """Load a model saved by ``evaluate`` without running any code from the file."""
    spec = load_baseline(name)
    kind = spec["kind"]
    path = model_path(name, kind, directory)
    if kind == "rules":
        return Model(name, kind)
    if not path.exists():
        raise not_fitted(name, path)
    if kind == "majority":
        return Model(name, kind, prior=json.loads(path.read_text(encoding="utf-8")))
    if kind == "crf":
        from .crf import CrfTagger

        return Model(name, kind, tagger=CrfTagger.load(spec, path))
    return load_tfidf(name, path)


def load_tfidf(name: str, source: Any, path: Path | str | None = None) -> Model:
    """A TF-IDF model from its ``.npz`` (a path, or a file object of its bytes; ``path`` names it in errors).

    Its vectoriser is a ``tfidf.Tfidf`` when the settings allow (same matrices, and no
    scikit-learn import, which costs more than predicting 20,000 sentences).
    """
    from .tfidf import Tfidf, supported

    path = path or source
    refit = f"refit with `privacy-incidents evaluate --baseline {name}`"
    try:
        with np.load(source, allow_pickle=False) as saved:
            arrays = {key: saved[key] for key in saved.files}
        meta = json.loads(str(arrays["meta"]))
    except Exception as problem:  # not a zip, a missing array, an object array: all mean "not our model"
        raise EvaluationError(f"{path}: cannot load ({type(problem).__name__}: {str(problem)[:200]}); {refit}") from None
    if meta.get("format") != MODEL_FORMAT:
        raise EvaluationError(f"{path}: a model file of another format; {refit}")
    params = dict(meta["vectorizer"])
    params["ngram_range"] = tuple(params["ngram_range"])
    terms = arrays["terms"].tolist()
    if supported(params):
        vectorizer = Tfidf.from_params(params, terms, arrays["idf"])
    else:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(dtype=np.float64, **(params | {"vocabulary": dict(zip(terms, range(len(terms))))}))
        vectorizer.idf_ = arrays["idf"]  # sets the vocabulary too: ready to transform
    heads = {task: Head(h["labels"], arrays[f"{task}.coef"], arrays[f"{task}.intercept"], h["params"]) for task, h in meta["heads"].items()}
    return Model(name, "sklearn", heads=heads, vectorizer=vectorizer)


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


def score_predictions(task: str, data: SplitData, predicted: list[Any]) -> dict[str, Any]:
    """One task's scores of ``predicted`` (aligned with ``data``) against ``data``'s labels."""
    if task == "spans":
        return score_spans(data.spans, predicted, data.incident_ids, list(task_labels("types")), load_tasks()["spans"]["main_score"])
    if task == "incident":
        reference, by_incident = incident_reference(data, predicted)
        return score_task("incident", reference.gold, by_incident, reference.groups)
    return score_task(task, data.labels[load_tasks()[task]["labels"]], predicted, data.incident_ids)


SOURCE_SUMMARY = ("main_score", "main_value", "ci95", "n", "incidents", "macro_f1", "macro_f1_all_labels", "micro_f1")


def scores_by_source(task: str, data: SplitData, predicted: list[Any]) -> dict[str, dict[str, Any]]:
    """The task's summary scores on each source's sentences (bootstrap by incident within the source)."""
    result = {}
    for source in sorted(set(data.sources)):
        keep = [s == source for s in data.sources]
        part = data.subset(keep)
        scores = score_predictions(task, part, [p for p, k in zip(predicted, keep) if k])
        result[source] = {k: scores[k] for k in SOURCE_SUMMARY} | ({"overlap": scores["overlap"]} if "overlap" in scores else {})
    return result


def task_predictions(task: str, predictions: dict[str, list[Any]]) -> list[Any]:
    return predictions[load_tasks()[task].get("from_task", task)]


def gold_splits(dataset_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(every row, gold rows only) of each split of a built release."""
    from .schema import SPLITS

    everything = {split: read_split(dataset_dir, split) for split in SPLITS}
    return everything, {split: split_data.gold() for split, split_data in everything.items()}


def evaluate_baseline(name: str, dataset_dir: Path, models_dir: Path | None = None, transfer: bool = True) -> dict[str, Any]:
    """Fit on the gold sentences of train, choose on gold validation, score gold test (and by source).

    ``transfer=False`` leaves the transfer protocol out (``evaluate`` runs its fits side by side).
    """
    spec = load_baseline(name)
    everything, data = gold_splits(dataset_dir)
    model = fit(spec, data["train"], data["validation"])
    if models_dir is not None:
        save_model(model, models_dir)
    seen = set(data["train"].duplicate_groups) | set(data["validation"].duplicate_groups)
    mask = dedup_mask(data["test"], seen)
    tasks = baseline_tasks(spec) + ("incident",)
    scores: dict[str, dict[str, Any]] = {task: {} for task in tasks}
    for split in ("validation", "test"):
        predictions = model.predict(data[split].texts)
        for task in tasks:
            predicted = task_predictions(task, predictions)
            scores[task][split] = score_predictions(task, data[split], predicted)
            if split == "test":
                scores[task]["test"]["by_source"] = scores_by_source(task, data[split], predicted)
                if task != "incident":
                    scores[task]["test_dedup"] = score_predictions(task, data[split].subset(mask), [p for p, k in zip(predicted, mask) if k])
    counts = label_counts(everything)
    result = {
        "baseline": name,
        "version": spec["version"],
        "kind": spec["kind"],
        "description": spec["description"],
        "release": {"fingerprint": release_fingerprint(dataset_dir), "sentences": counts},
        "trained_on": (
            f"{counts['train']['gold']} gold sentences of train ({counts['train']['silver']} silver left out); "
            f"parameters chosen on {counts['validation']['gold']} gold sentences of validation"
        ),
        "scored_on": f"{counts['test']['gold']} gold sentences of test ({counts['test']['silver']} silver not scored)",
        "chosen_parameters": chosen_parameters(model),
        "test_dedup_sentences": sum(mask),
        "scores": scores,
    }
    if transfer:
        from .transfer import run_transfer

        result["transfer"] = run_transfer(spec, data, chosen_parameters(model))
    return result


def write_results(result: dict[str, Any], directory: Path | None = None) -> Path:
    directory = directory or active().results
    path = directory / f"{result['baseline']}.json"
    write_atomic(path, json.dumps(result, indent=1, sort_keys=False) + "\n")
    return path


@cache
def results_of(directory: Path) -> dict[str, dict[str, Any]]:
    """Committed results by baseline name (for choosing the best baseline)."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))}


def score_file(dataset_dir: Path, predictions: Path, task: str, split: str) -> dict[str, Any]:
    """Score anyone's predictions file against the gold items of a split (silver ids accepted, not scored)."""
    from .evaluate import read_predictions

    if task not in load_tasks():
        raise EvaluationError(f"no task {task!r}; valid: {', '.join(load_tasks())}")
    everything = read_split(dataset_dir, split)
    data = everything.gold()
    silver = frozenset(i for i, s in zip(everything.sentence_ids, everything.label_sources) if s != "gold")
    spec = load_tasks()[task]
    if spec["unit"] == "incident":
        reference, _ = incident_reference(data, [set() for _ in data.texts])
        gold_incidents = set(reference.ids)
        reference = Reference(reference.ids, reference.gold, reference.groups,
                              frozenset(set(everything.incident_ids) - gold_incidents))
        predicted = read_predictions(predictions, task, reference)
        scores = score_task(task, reference.gold, predicted, reference.groups)
    else:
        gold = data.spans if task == "spans" else data.labels[spec["labels"]]
        reference = Reference(data.sentence_ids, gold, data.incident_ids, silver, data.texts)
        scores = score_predictions(task, data, read_predictions(predictions, task, reference))
    scores["scored_on"] = f"{len(data)} gold sentences of {split} ({len(silver)} silver not scored)"
    return scores
