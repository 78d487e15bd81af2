"""The CRF span baseline: tokens -> BIO tags of ``element:type`` with a linear-chain CRF (sklearn-crfsuite).

Features are declared in the baseline's YAML (``features``); each token's features are plain
strings (``lower=stolen``, ``-1:lower=was``), which CRFsuite takes as binary attributes. The
model is CRFsuite's own file (weights only, no code), with a JSON sidecar recording the
features it was fitted with and the sha256 of the model, so a stale pair is refused.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .evaluate import EvaluationError, load_tasks, task_labels
from .atomic import write_atomic
from .spans import LabelledSpan, bio_tags, score_spans, spans_from_tags, tokens

SHAPE = re.compile(r"[A-Z]+|[a-z]+|[0-9]+")


def _shape(token: str) -> str:
    return SHAPE.sub(lambda m: "A" if m.group(0)[0].isupper() else "a" if m.group(0)[0].islower() else "0", token)


TOKEN_FEATURES = {
    "lower": str.lower,
    "prefix3": lambda t: t[:3].lower(),
    "suffix3": lambda t: t[-3:].lower(),
    "shape": _shape,
    "is_title": lambda t: "1" if t.istitle() else None,
    "is_upper": lambda t: "1" if t.isupper() and len(t) > 1 else None,
    "is_digit": lambda t: "1" if t.isdigit() else None,
}


def check_features(spec: dict[str, Any]) -> None:
    features = spec["features"]
    unknown = sorted((set(features["token"]) | set(features.get("window_features", []))) - set(TOKEN_FEATURES))
    if unknown:
        raise EvaluationError(f"baselines/{spec['name']}.yaml: unknown feature(s) {unknown}; valid: {', '.join(TOKEN_FEATURES)}")


def _word_features(word: str, names: tuple[str, ...]) -> list[str]:
    return [f"{name}={value}" for name in names if (value := TOKEN_FEATURES[name](word)) is not None]


def sentence_features(text: str, offsets: list[tuple[int, int]], features: dict[str, Any], cache: dict[str, Any] | None = None) -> list[list[str]]:
    """Each token's attribute strings: its own features, its neighbours' window features, BOS/EOS.

    ``cache`` (word -> its own features, and its window features as each offset names them)
    saves recomputing and re-prefixing them for frequent words.
    """
    cache = {} if cache is None else cache
    own_names, window_names = tuple(features["token"]), tuple(features.get("window_features", []))
    window = features.get("window", [])
    per_word = []
    for a, b in offsets:
        word = text[a:b]
        found = cache.get(word)
        if found is None:
            as_neighbour = _word_features(word, window_names)
            found = cache[word] = (_word_features(word, own_names), [[f"{offset}:{v}" for v in as_neighbour] for offset in window])
        per_word.append(found)
    edges = [f"{offset}:{'BOS' if offset < 0 else 'EOS'}" for offset in window] if features.get("bos_eos", True) else None
    n = len(per_word)
    out = []
    for i, (own, _) in enumerate(per_word):
        attributes = list(own)
        for k, offset in enumerate(window):
            j = i + offset
            if 0 <= j < n:
                attributes += per_word[j][1][k]
            elif edges:
                attributes.append(edges[k])
        out.append(attributes)
    return out


@dataclass
class CrfTagger:
    """A fitted CRF: model bytes (CRFsuite's format), the features it needs, and its parameters."""

    spec: dict[str, Any]
    model: bytes
    params: dict[str, Any]

    def __post_init__(self) -> None:
        import pycrfsuite

        self._tagger = pycrfsuite.Tagger()
        self._tagger.open_inmemory(self.model)
        self._pattern = re.compile(self.spec.get("tokens", r"\w+|[^\w\s]"))
        self._cache: dict[str, Any] = {}

    def predict_spans(self, texts: list[str], with_scores: bool = False) -> list[list[tuple[int, int, str, float]]]:
        """Spans of each text; ``score`` is the mean marginal probability of the span's tags (or 1.0)."""
        found = []
        for text in texts:
            offsets = tokens(text, self._pattern)
            if not offsets:
                found.append([])
                continue
            self._tagger.set(sentence_features(text, offsets, self.spec["features"], self._cache))
            tags = self._tagger.tag()
            spans = []
            for start, end, label, indices in spans_from_tags(offsets, tags):
                score = sum(self._tagger.marginal(tags[i], i) for i in indices) / len(indices) if with_scores else 1.0
                spans.append((start, end, label, round(score, 4)))
            found.append(spans)
        return found

    def save(self, path: Path) -> None:
        sidecar = {"baseline": self.spec["name"], "version": self.spec["version"], "features": self.spec["features"],
                   "tokens": self.spec.get("tokens"), "params": self.params, "model_sha256": hashlib.sha256(self.model).hexdigest()}
        write_atomic(path, self.model)
        write_atomic(path.with_suffix(".json"), json.dumps(sidecar, indent=1) + "\n")

    @classmethod
    def load(cls, spec: dict[str, Any], path: Path) -> CrfTagger:
        name = spec["name"]
        refit = f"refit with `privacy-incidents evaluate --baseline {name}`"
        try:
            sidecar = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            raise EvaluationError(f"{path.with_suffix('.json')}: missing or unreadable; {refit}") from None
        model = path.read_bytes()
        if sidecar.get("model_sha256") != hashlib.sha256(model).hexdigest():
            raise EvaluationError(f"{path}: does not match {path.with_suffix('.json').name}; {refit}")
        if (sidecar.get("version"), sidecar.get("features"), sidecar.get("tokens")) != (spec["version"], spec["features"], spec.get("tokens")):
            raise EvaluationError(f"{path}: fitted with other features than baselines/{name}.yaml declares; {refit}")
        return cls(spec, model, sidecar["params"])


def fit_crf(spec: dict[str, Any], train: Any, validation: Any, fixed: dict[str, Any] | None = None) -> CrfTagger:
    """Fit on train; keep the grid setting with the best validation span score (the task's main score)."""
    import sklearn_crfsuite

    check_features(spec)
    pattern = re.compile(spec.get("tokens", r"\w+|[^\w\s]"))

    def sequences(data: Any) -> tuple[list[Any], list[list[str]]]:
        xs, ys = [], []
        for text, spans in zip(data.texts, data.spans):
            offsets = tokens(text, pattern)
            if offsets:
                xs.append(sentence_features(text, offsets, spec["features"], cache))
                ys.append(bio_tags(offsets, spans))
        return xs, ys

    cache: dict[str, Any] = {}
    x_train, y_train = sequences(train)
    grid = spec.get("grid", {})
    settings = [fixed] if fixed is not None else [dict(zip(grid, v)) for v in itertools.product(*grid.values())] or [{}]
    labels = list(task_labels("types"))
    main = load_tasks()["spans"]["main_score"]
    best: tuple[float, CrfTagger] | None = None
    with tempfile.TemporaryDirectory() as scratch:
        for number, params in enumerate(settings):
            path = Path(scratch) / f"model-{number}.crfsuite"
            crf = sklearn_crfsuite.CRF(model_filename=str(path), **spec.get("crf", {}), **params)
            crf.fit(x_train, y_train)
            tagger = CrfTagger(spec, path.read_bytes(), params)
            if len(settings) == 1:
                return tagger
            predicted = [{(s, e, label) for s, e, label, _ in spans} for spans in tagger.predict_spans(validation.texts)]
            value = score_spans(validation.spans, predicted, validation.incident_ids, labels, main)["main_value"]
            if best is None or value > best[0]:
                best = (value, tagger)
    return best[1]  # type: ignore[index]


__all__ = ["CrfTagger", "fit_crf", "LabelledSpan"]
