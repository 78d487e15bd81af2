"""``privacy-incidents predict``: label your own sentences with a fitted baseline (I/O at the edges).

Input: JSONL (``{"id", "text"}`` a line) or Parquet with a ``text`` column and an id column
(``id``, else ``sentence_id`` as in the release, else row numbers). Output: one JSON object a
line, ``{"id", "sentence_id", "elements", "types"}`` (and ``"spans"`` for span baselines), in the
format ``score`` reads; written atomically.

For TF-IDF baselines the texts are vectorised once (in chunks over the machine's cores when
there are many), both tasks' heads are one matrix product each, and the label lists are made
with numpy rather than a Python loop per sentence.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .evaluate import EvaluationError, json_lines
from .seedfiles import write_atomic

ID_COLUMNS = ("id", "sentence_id")
PARALLEL_FROM = 20_000  # below this, starting worker processes costs more than it saves


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


def _transform(vectorizer: Any, texts: list[str]) -> Any:
    """TF-IDF of ``texts``; in chunks over the cores when there are many (loky processes)."""
    cores = os.cpu_count() or 1
    if len(texts) < PARALLEL_FROM or cores < 2:
        return vectorizer.transform(texts)
    import scipy.sparse as sp
    from joblib import Parallel, delayed

    chunks = np.array_split(np.arange(len(texts)), cores)
    parts = Parallel(n_jobs=cores)(delayed(vectorizer.transform)([texts[i] for i in chunk]) for chunk in chunks)
    return sp.vstack(parts, format="csr")


def _label_lists(decided: np.ndarray, labels: list[str]) -> list[list[str]]:
    """Each row's labels, in label order, split out of one array (no loop over labels per row)."""
    rows, cols = np.nonzero(decided)
    names = np.asarray(labels, dtype=object)[cols]
    return [part.tolist() for part in np.split(names, np.cumsum(np.bincount(rows, minlength=len(decided)))[:-1])]


def predict_lines(model: Any, ids: list[str], texts: list[str]) -> list[str]:
    """The predictions JSONL lines for ``texts``."""
    if model.kind == "sklearn":
        x = _transform(model.vectorizer, texts)
        columns = {task: _label_lists(head.decide(x), head.labels) for task, head in model.heads.items()}
    else:
        predictions = model.predict(texts)
        order = {label: j for j, label in enumerate(_all_labels())}
        columns = {task: [sorted(p, key=order.__getitem__) for p in predictions[task]] for task in ("elements", "types")}
        if "spans" in predictions:
            columns["spans"] = [
                [{"start": s, "end": e, "element": label.split(":")[0], "type": label.split(":")[1]} for s, e, label in sorted(spans)]
                for spans in predictions["spans"]
            ]
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    names = list(columns)
    return [dumps({"id": i, "sentence_id": i, **dict(zip(names, values))}) for i, *values in zip(ids, *columns.values())]


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
    lines = predict_lines(model, ids, texts)
    write_atomic(output_path, "\n".join(lines) + "\n")
    return len(lines), id_source
