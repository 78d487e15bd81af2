"""``privacy-incidents extract ARTICLE``: an article -> one incident record, with the best fitted baselines.

The article is read as ``new`` reads it (text, Markdown, or a saved HTML page through
trafilatura), normalised and segmented; each sentence gets the labels of the best sentence
baseline (highest test types macro-F1 in ``baselines/results/``) and the spans of the best span
baseline (highest test span F1). Every offset indexes the record's ``text``::

    {"text", "sentences": [{"start", "end", "text", "elements", "types"}],
     "spans": [{"start", "end", "text", "element", "type", "score"}],
     "incident": {"elements", "types"}, "baselines": {...}}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .evaluate import EvaluationError


def best_baselines(results_dir: Path) -> tuple[str, str]:
    """(best sentence baseline, best span baseline) by their committed test main scores."""
    results = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(results_dir.glob("*.json"))] if results_dir.is_dir() else []
    sentence = [r for r in results if "types" in r.get("scores", {})]
    spans = [r for r in results if "spans" in r.get("scores", {})]
    if not sentence or not spans:
        raise EvaluationError(f"{results_dir}: no baseline results to choose from; fit them with `privacy-incidents evaluate --all`")
    best = lambda rows, task: max(rows, key=lambda r: (r["scores"][task]["test"]["main_value"], r["baseline"]))["baseline"]  # noqa: E731
    return best(sentence, "types"), best(spans, "spans")


def record(text: str, sentence_model: Any, span_model: Any) -> dict[str, Any]:
    """The incident record of a normalised text (pure but for the models)."""
    from .schema import load_taxonomy
    from .segment import segment

    taxonomy = load_taxonomy()
    sentences = segment(text)
    texts = [s.text for s in sentences]
    labels = sentence_model.predict(texts) if texts else {"elements": [], "types": []}
    found = span_model.predict_spans(texts, with_scores=True) if texts else []
    element_order = {e: i for i, e in enumerate(taxonomy.elements)}
    type_order = {t: i for i, t in enumerate(taxonomy.type_names)}
    rows, spans = [], []
    for sentence, elements, types, sentence_spans in zip(sentences, labels["elements"], labels["types"], found):
        rows.append({"start": sentence.start, "end": sentence.end, "text": sentence.text,
                     "elements": sorted(elements, key=element_order.get), "types": sorted(types, key=type_order.get)})
        for start, end, label, score in sentence_spans:
            element, type_name = label.split(":", 1)
            begin, finish = sentence.start + start, sentence.start + end
            spans.append({"start": begin, "end": finish, "text": text[begin:finish], "element": element, "type": type_name, "score": score})
    return {
        "text": text,
        "sentences": rows,
        "spans": spans,
        "incident": {
            "elements": sorted({e for r in rows for e in r["elements"]}, key=element_order.get),
            "types": sorted({t for r in rows for t in r["types"]}, key=type_order.get),
        },
    }


def extract_file(root: Path, article: Path) -> dict[str, Any]:
    """Read, normalise, label: the record of ``article`` (models from ``root/baselines/models``)."""
    from .baselines import load_model
    from .extend import read_source

    sentence_name, span_name = best_baselines(root / "baselines" / "results")
    models_dir = root / "baselines" / "models"
    sentence_model, span_model = load_model(sentence_name, models_dir), load_model(span_name, models_dir)
    source = read_source(article)
    result = record(source.normalized, sentence_model, span_model)
    result["baselines"] = {"sentences": sentence_name, "spans": span_name}
    return result
