"""``privacy-incidents predict``: label your own sentences with a fitted baseline (I/O at the edges).

Input: JSONL (``{"id", "text"}`` a line) or Parquet with a ``text`` column and an id column
(``id``, else ``sentence_id`` as in the release, else row numbers). Output: one JSON object a
line, ``{"id", "sentence_id", "elements", "types"}`` (and ``"spans"`` for span baselines), in the
format ``score`` reads; written atomically.

The batch is cut into one slice a core (forked workers, ``parallel``), each turned into its
JSONL text whole: for TF-IDF baselines the slice is vectorised once, each task's head is one
matrix product, and each distinct row of decisions is encoded as JSON once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import write_atomic
from .evaluate import EvaluationError, json_lines
from .parallel import map_slices

ID_COLUMNS = ("id", "sentence_id")


def read_texts(path: Path) -> tuple[list[str], list[str], str]:
    """(ids, texts, where the ids came from) of a JSONL or Parquet file; refusals name the file and line."""
    if not path.is_file():
        raise EvaluationError(f"{path}: no such file; give a JSONL file ({{\"id\", \"text\"}} a line) or a Parquet file with a text column")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            schema = pq.read_schema(path)
        except Exception as problem:  # pyarrow raises several kinds for a file that is not Parquet
            raise EvaluationError(f"{path}: not a readable Parquet file ({problem})") from None
        if "text" not in schema.names:
            raise EvaluationError(f"{path}: no 'text' column; columns: {', '.join(schema.names)}")
        id_column = next((c for c in ID_COLUMNS if c in schema.names), None)
        table = pq.read_table(path, columns=["text"] + ([id_column] if id_column else []))
        texts = ["" if t is None else t for t in table.column("text").to_pylist()]
        if id_column:
            return [str(i) for i in table.column(id_column).to_pylist()], texts, f"column {id_column!r}"
        return [str(i) for i in range(1, len(texts) + 1)], texts, "row numbers (no 'id' or 'sentence_id' column)"
    ids, texts, numbered = [], [], 0
    for number, record in json_lines(path):
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise EvaluationError(f"{path}:{number}: each line needs a 'text' string (and may have an 'id')")
        if "id" in record:
            ids.append(str(record["id"]))
        else:
            ids.append(str(number))
            numbered += 1
        texts.append(record["text"])
    return ids, texts, "'id' fields" if not numbered else f"'id' fields ({numbered} line numbers where missing)"


LEAST_PER_CORE = 2_000  # sentences; below this a forked worker costs more than it saves
ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # what json.dumps(..., ensure_ascii=False) writes


def prediction_lines(model: Any, ids: list[str], texts: list[str]) -> str:
    """The predictions JSONL text for ``texts``: slices of the batch in parallel, joined in order."""
    order = None if model.kind == "sklearn" else {label: j for j, label in enumerate(_all_labels())}
    return "".join(map_slices(lambda part: _lines(model, order, ids[part], texts[part]), len(texts), LEAST_PER_CORE))


def _lines(model: Any, order: dict[str, int] | None, ids: list[str], texts: list[str]) -> str:
    """The predictions JSONL text of one slice (``order``: the taxonomy's label order, for label sets)."""
    if model.kind == "sklearn":
        x = model.vectorizer.transform(texts)
        columns = {task: _label_lists_json(head.decide(x), head.labels) for task, head in model.heads.items()}
    else:
        predictions = model.predict(texts)
        columns = {task: [ENCODE(sorted(p, key=order.__getitem__)) for p in predictions[task]] for task in ("elements", "types")}
        if "spans" in predictions:
            columns["spans"] = [
                ENCODE([{"start": s, "end": e, "element": label.split(":")[0], "type": label.split(":")[1]} for s, e, label in sorted(spans)])
                for spans in predictions["spans"]
            ]
    return _jsonl(ids, columns)


def _label_lists_json(decided: np.ndarray, labels: list[str]) -> list[str]:
    """Each row's labels (in label order) as a JSON list, encoded once per distinct row."""
    if not decided.size:  # no sentences, or a head with no labels
        return ["[]"] * len(decided)
    packed = np.packbits(decided, axis=1)  # a row's decisions as one short byte string: quick to sort
    _, first, row_of = np.unique(packed.view(f"V{packed.shape[1]}").ravel(), return_index=True, return_inverse=True)
    names = np.asarray(labels, dtype=object)
    encoded = np.asarray([ENCODE(names[decided[i]].tolist()) for i in first], dtype=object)
    return encoded[row_of].tolist()


def _jsonl(ids: list[str], columns: dict[str, list[str]]) -> str:
    """One ``{"id", "sentence_id", <columns>}`` object a line, as ``json.dumps`` writes it."""
    line = '{{"id": {0}, "sentence_id": {0}' + "".join(f", {ENCODE(name)}: {{{k}}}" for k, name in enumerate(columns, 1)) + "}}\n"
    return "".join(map(line.format, map(ENCODE, ids), *columns.values()))


def _all_labels() -> list[str]:
    from .schema import load_taxonomy

    taxonomy = load_taxonomy()
    return list(taxonomy.elements) + list(taxonomy.type_names)


def predict_file(model: Any, input_path: Path, output_path: Path) -> tuple[int, str]:
    """Predict every text of ``input_path`` into ``output_path`` (atomically); (count, id source)."""
    if not output_path.parent.is_dir():
        raise EvaluationError(f"{output_path}: the folder {output_path.parent} does not exist; create it or write elsewhere")
    ids, texts, id_source = read_texts(input_path)
    if not texts:
        raise EvaluationError(f"{input_path}: no sentences to predict (the file has no text lines or rows)")
    write_atomic(output_path, prediction_lines(model, ids, texts))
    return len(texts), id_source
