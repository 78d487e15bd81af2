"""``privacy-incidents mine``: rank the documents of a large corpus by how strongly they report a privacy incident.

Shards (JSONL or Parquet files with ``id`` and ``text``) are the partitions of a ``dask.bag``;
each worker reads its shard in batches of documents (memory is bounded by a batch, never the
corpus), segments them with the mining segmenter, predicts element probabilities for every
sentence with a fitted baseline in one vectorised call per batch, and keeps one small record per
document. The client merges the partitions' sorted records and writes them atomically.

The **score** of a document is the mean, over the four elements (actor, action, data accessed,
consequence), of the highest probability any one of its sentences gets for that element: 1.0
when the article has a sentence that clearly states each element, near 0 when no sentence
states any. ``evidence`` is the sentences that hold those maxima (so they carry the score).

>>> document_score([0.9, 0.8, 1.0, 0.5])
0.8
"""

from __future__ import annotations

import glob
import hashlib
import heapq
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .project import UserError
from .segmenters import MINING_SEGMENTER, sentence_spans

SHARD_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
OPTIONAL_FIELDS = ("title", "url", "date")
DEFAULT_BASELINE = "tfidf_logreg_v1"
ELEMENT_THRESHOLD = 0.5  # an element is listed when some sentence has it with probability >= this
BATCH_DOCUMENTS = 500  # documents per vectorised predict: bounds a worker's memory
SCORE_DIGITS = 6  # scores are rounded so that every scheduler writes the same bytes
MAX_EVIDENCE_CHARS = 400


class MineError(UserError, ValueError):
    """Bad mining input (a shard, a row, the output path): the message names it and what is valid."""


# --- shards ------------------------------------------------------------------------------------


def find_shards(pattern: str) -> list[str]:
    """The shard files a PATH or GLOB names, sorted; an error when none, or one is not JSONL/Parquet."""
    matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
    files = [m for m in matches if Path(m).is_file()]
    if not files:
        what = "matches no file" if glob.has_magic(pattern) else "is not a file"
        raise MineError(f"{pattern}: {what}; give a JSONL or Parquet shard, or a glob such as 'corpus/*.parquet'")
    for name in files:
        if Path(name).suffix.lower() not in SHARD_SUFFIXES:
            raise MineError(f"{name}: not a shard: name it .jsonl (one JSON object a line) or .parquet")
    return files


@dataclass(frozen=True)
class Document:
    shard: str
    row: int  # 1-based: the line of a JSONL shard, the row of a Parquet shard
    id: str
    text: str
    meta: dict[str, str]


def _document(shard: str, row: int, record: Any) -> Document:
    if not isinstance(record, dict):
        raise MineError(f"{shard}: row {row}: not a JSON object; each row needs 'text' (a string) and 'id'")
    text = record.get("text")
    if not isinstance(text, str):
        problem = "has no 'text'" if text is None else f"'text' is not a string ({type(text).__name__})"
        raise MineError(f"{shard}: row {row}: {problem}; each row needs 'text' (the article) and 'id'")
    identifier = record.get("id")
    meta = {k: str(record[k]) for k in OPTIONAL_FIELDS if record.get(k) is not None}
    return Document(shard, row, str(identifier) if identifier is not None else f"{Path(shard).name}:{row}", text, meta)


def _jsonl_documents(shard: str, path: Path) -> Iterator[Document]:
    try:
        with path.open(encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as problem:
                    raise MineError(f"{shard}: row {number}: not valid JSON ({problem.msg}); a JSONL shard has one JSON object a line") from None
                yield _document(shard, number, record)
    except UnicodeDecodeError as problem:
        raise MineError(f"{shard}: not UTF-8 text ({problem.reason} at byte {problem.start}); a JSONL shard is UTF-8 text") from None


def _parquet_documents(shard: str, path: Path, batch_rows: int) -> Iterator[Document]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as problem:
        raise MineError(f"{shard}: not a readable Parquet file ({problem})") from None
    names = parquet.schema_arrow.names
    if "text" not in names:
        raise MineError(f"{shard}: row 1: has no 'text' (no such column; columns: {', '.join(names)}); each row needs 'text' and 'id'")
    columns = [c for c in ("id", "text", *OPTIONAL_FIELDS) if c in names]
    row = 0
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
        for record in batch.to_pylist():
            row += 1
            yield _document(shard, row, record)


def read_documents(shard: str, path: Path | None = None, batch_rows: int = BATCH_DOCUMENTS) -> Iterator[Document]:
    """Stream the documents of one shard; ``path`` is where to read it (the shard name is what errors show)."""
    path = path or Path(shard)
    if SHARD_SUFFIXES[path.suffix.lower()] == "parquet":
        yield from _parquet_documents(shard, path, batch_rows)
    else:
        yield from _jsonl_documents(shard, path)


def _batches(documents: Iterator[Document], size: int) -> Iterator[list[Document]]:
    batch: list[Document] = []
    for document in documents:
        batch.append(document)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- models: read once on the client, loaded once per worker process ----------------------------


@dataclass(frozen=True)
class ModelFiles:
    """A baseline's saved model (one file: TF-IDF vectoriser and every task's head): as bytes for a
    cluster (its workers need no files), or only as a path for local processes (the scheduler then
    copies no model bytes into each task)."""

    baseline: str
    data: bytes | None
    digest: str  # sha256 of the file: the per-process cache key
    path: str

    def by_path(self) -> "ModelFiles":
        return ModelFiles(self.baseline, None, self.digest, self.path)

    def contents(self) -> bytes:
        return self.data if self.data is not None else Path(self.path).read_bytes()


def read_model_files(baseline: str, models_dir: Path) -> ModelFiles:
    """The baseline's fitted model; only TF-IDF baselines (linear heads) can score documents."""
    from .baselines import load_baseline, model_path

    spec = load_baseline(baseline)
    if spec["kind"] != "sklearn":
        raise MineError(f"baseline {baseline!r} is {spec['kind']!r}, it gives no margins to score with; use a fitted one such as {DEFAULT_BASELINE}")
    path = model_path(baseline, spec["kind"], models_dir)
    if not path.exists():
        raise MineError(f"{path} not found: run `privacy-incidents evaluate --baseline {baseline}` first")
    data = path.read_bytes()
    return ModelFiles(baseline, data, hashlib.sha256(data).hexdigest(), str(path.resolve()))


_LOADED: dict[str, Any] = {}  # per process: digest -> the loaded model


def loaded_models(files: ModelFiles) -> Any:
    """The fitted model (``baselines.Model``), loaded the first time this process needs it."""
    import io

    from .baselines import load_tfidf

    if files.digest not in _LOADED:
        _LOADED[files.digest] = load_tfidf(files.baseline, io.BytesIO(files.contents()), files.path)
    return _LOADED[files.digest]


def features(model: Any, texts: list[str]) -> Any:
    """The TF-IDF matrix of ``texts`` (the expensive step: tokenising and counting), shared by every head."""
    return model.vectorizer.transform(texts)


def probabilities(model: Any, texts: list[str], matrix: Any = None, task: str = "elements") -> np.ndarray:
    """Per sentence and label of ``task``, the logistic of the head's margin: the probability for
    logistic regression, a monotone stand-in for the SVM and naive Bayes heads."""
    head = model.heads[task]
    matrix = features(model, texts) if matrix is None else matrix
    margins = np.asarray(matrix @ head.coef.T) + head.intercept
    return 1.0 / (1.0 + np.exp(-margins))


def predicted_types(model: Any, texts: list[str], rows: list[int], matrix: Any) -> list[set[str]]:
    """Type sets of the sentences ``rows`` (their TF-IDF rows are the elements' own)."""
    if not rows:
        return []
    head = model.heads["types"]
    return [{head.labels[j] for j in np.flatnonzero(row)} for row in head.decide(matrix[rows])]


# --- scoring (pure) ----------------------------------------------------------------------------


def document_score(element_maxima: list[float] | np.ndarray) -> float:
    """Mean over the elements of the best sentence probability for each (see the module docstring)."""
    return round(float(np.mean(element_maxima)), SCORE_DIGITS)


def _clip(sentence: str) -> str:
    return sentence if len(sentence) <= MAX_EVIDENCE_CHARS else sentence[: MAX_EVIDENCE_CHARS - 1] + "…"


def _sentences_of(documents: list[Document], segmenter: str) -> tuple[list[str], list[tuple[int, int]]]:
    """All sentences of a batch in one list, and each document's ``(first, last)`` range in it."""
    texts: list[str] = []
    bounds: list[tuple[int, int]] = []
    for document in documents:
        first = len(texts)
        texts.extend(document.text[a:b] for a, b in sentence_spans(document.text, segmenter))
        bounds.append((first, len(texts)))
    return texts, bounds


def best_sentences(matrix: np.ndarray, first: int, last: int) -> tuple[np.ndarray, list[int]]:
    """Per element the best probability of sentences ``first:last``, and those sentences (in order, once each)."""
    if first == last:  # no sentence: nothing reports an incident
        return np.zeros(matrix.shape[1]), []
    block = matrix[first:last]
    return block.max(axis=0), sorted(set((first + block.argmax(axis=0)).tolist()))


def candidate(document: Document, labels: list[str], maxima: np.ndarray, evidence: list[str], types: list[str], sentences: int) -> dict[str, Any]:
    """The output record of one document (key order is the output's)."""
    elements = [label for label, value in zip(labels, maxima) if value >= ELEMENT_THRESHOLD]
    return {
        "id": document.id,
        "score": document_score(maxima),
        "elements": elements,
        "types": [t for t in types if t.split(":")[0] in elements],
        "evidence": [_clip(sentence) for sentence in evidence],
        "element_scores": {label: round(float(value), 4) for label, value in zip(labels, maxima)},
        "sentences": sentences,
        **document.meta,
        "shard": document.shard,
        "row": document.row,
    }


def score_batch(documents: list[Document], files: ModelFiles, segmenter: str = MINING_SEGMENTER) -> list[dict[str, Any]]:
    """One candidate record per document: score, elements, types and evidence sentences."""
    models = loaded_models(files)
    texts, bounds = _sentences_of(documents, segmenter)
    labels = list(models.heads["elements"].labels)
    tfidf = features(models, texts) if texts else None
    matrix = probabilities(models, texts, tfidf) if texts else np.zeros((0, len(labels)))
    best = [best_sentences(matrix, first, last) for first, last in bounds]
    # Types only for the evidence sentences: a few per document instead of all of them.
    rows = [i for _, picked in best for i in picked]
    types_of = dict(zip(rows, predicted_types(models, texts, rows, tfidf)))
    order = list(models.heads["types"].labels)
    records = []
    for document, (first, last), (maxima, picked) in zip(documents, bounds, best):
        found = set().union(*(types_of[i] for i in picked))
        types = [t for t in order if t in found]
        records.append(candidate(document, labels, maxima, [texts[i] for i in picked], types, last - first))
    return records


def rank_key(record: dict[str, Any]) -> tuple[float, str, str, int]:
    """Score descending, then id, shard and row: a total order, so every scheduler writes the same file."""
    return (-record["score"], record["id"], record["shard"], record["row"])


def score_shard(shard: str, read_path: str, files: ModelFiles, top: int | None, segmenter: str = MINING_SEGMENTER) -> list[dict[str, Any]]:
    """All (or the best ``top``) records of one shard, ranked; reads the shard a batch at a time."""
    kept: list[dict[str, Any]] = []
    for batch in _batches(read_documents(shard, Path(read_path)), BATCH_DOCUMENTS):
        kept.extend(score_batch(batch, files, segmenter))
        if top is not None and len(kept) > top:
            kept = heapq.nsmallest(top, kept, key=rank_key)
    return sorted(kept, key=rank_key)


Encoded = tuple[tuple[float, str, str, int], str]  # (rank key, the record as a JSON line)


def encode(records: list[dict[str, Any]]) -> list[Encoded]:
    """Records as (rank key, JSON line): workers encode in parallel, the client only merges strings."""
    return [(rank_key(record), json.dumps(record, ensure_ascii=False)) for record in records]


def merge_ranked(parts: list[list[Encoded]], top: int | None) -> Iterator[str]:
    """The partitions' ranked lines as one ranking (a streaming merge), cut at ``top``."""
    merged = heapq.merge(*parts, key=lambda item: item[0])
    for count, (_, line) in enumerate(merged):
        if top is not None and count >= top:
            return
        yield line


# --- the Dask run --------------------------------------------------------------------------------


def _partition(shards: list[tuple[str, str]], files: ModelFiles, top: int | None, segmenter: str) -> list[list[Encoded]]:
    # A dask.bag partition holds one shard: one ranked, encoded list per partition.
    return [encode(score_shard(shard, path, files, top, segmenter)) for shard, path in shards]


def build_graph(shards: list[str], models: Any, top: int | None, segmenter: str = MINING_SEGMENTER) -> list[Any]:
    """One dask.delayed ranked list per shard; ``models`` (the ModelFiles as one Delayed, or a
    scattered Future on a cluster) is shared by every task instead of copied into each."""
    import dask.bag as db

    # Workers read by absolute path (their working folder may differ); records keep the name as given.
    pairs = [(shard, str(Path(shard).resolve())) for shard in shards]
    bag = db.from_sequence(pairs, npartitions=len(pairs))
    return bag.map_partitions(_partition, models, top, segmenter).to_delayed()


def is_cluster(scheduler: str) -> bool:
    return scheduler.startswith(("tcp://", "tls://", "ucx://", "inproc://"))


def run(shards: list[str], files: ModelFiles, top: int | None, segmenter: str, scheduler: str,
        workers: int | None, progress: bool) -> list[list[Encoded]]:
    """The per-shard rankings, computed on the local scheduler or on a Dask distributed cluster."""
    import dask

    if is_cluster(scheduler):
        from distributed import Client, progress as distributed_progress

        with Client(scheduler) as client:
            # The models go to every worker once, not inside the graph.
            models = client.scatter(files, broadcast=True, hash=False)
            futures = client.compute(build_graph(shards, models, top, segmenter))
            if progress:
                distributed_progress(futures)
            return [item for chunk in client.gather(futures) for item in chunk]
    if scheduler not in ("processes", "threads", "synchronous"):
        raise MineError(f"--scheduler {scheduler!r}: use processes (default), threads, synchronous, or a cluster address tcp://HOST:8786")
    from dask.diagnostics import ProgressBar

    parts = build_graph(shards, dask.delayed(files.by_path(), pure=True), top, segmenter)
    options = {"scheduler": scheduler} | ({"num_workers": workers} if workers and scheduler != "synchronous" else {})
    if progress:
        with ProgressBar(minimum=2.0):
            computed = dask.compute(*parts, **options)
    else:
        computed = dask.compute(*parts, **options)
    return [item for chunk in computed for item in chunk]


def write_candidates(lines: Iterator[str], output: Path) -> int:
    """Stream the JSON lines to a temporary file beside ``output``, then rename: never half a file."""
    if not output.parent.is_dir():
        raise MineError(f"{output}: its folder {output.parent} does not exist")
    handle, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    count = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            for line in lines:
                stream.write(line + "\n")
                count += 1
        os.chmod(name, 0o644)
        os.replace(name, output)
    finally:
        Path(name).unlink(missing_ok=True)
    return count


def mine(pattern: str, output: Path, files: ModelFiles, top: int | None = None, scheduler: str = "processes",
         workers: int | None = None, progress: bool = True, segmenter: str = MINING_SEGMENTER) -> int:
    """Rank every document of the shards ``pattern`` names into ``output``; returns how many were written."""
    if top is not None and top < 1:
        raise MineError(f"--top {top}: give a positive number of candidates to keep")
    shards = find_shards(pattern)
    if not output.parent.is_dir():
        raise MineError(f"{output}: its folder {output.parent} does not exist")
    parts = run(shards, files, top, segmenter, scheduler, workers, progress)
    return write_candidates(merge_ranked(parts, top), output)
