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

from .segmenters import MINING_SEGMENTER, sentence_spans

SHARD_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
OPTIONAL_FIELDS = ("title", "url", "date")
DEFAULT_BASELINE = "tfidf_logreg_v1"
ELEMENT_THRESHOLD = 0.5  # an element is listed when some sentence has it with probability >= this
BATCH_DOCUMENTS = 500  # documents per vectorised predict: bounds a worker's memory
SCORE_DIGITS = 6  # scores are rounded so that every scheduler writes the same bytes
MAX_EVIDENCE_CHARS = 400


class MineError(ValueError):
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
    """The saved elements and types models of a baseline: as bytes for a cluster (its workers need no
    files), or only as paths for local processes (the scheduler then copies no 40 MB into each task)."""

    baseline: str
    elements: bytes | None
    types: bytes | None
    digest: str  # sha256 of both: the per-process cache key (hashing 40 MB per batch would cost seconds)
    paths: tuple[str, str]

    def by_path(self) -> "ModelFiles":
        return ModelFiles(self.baseline, None, None, self.digest, self.paths)

    def contents(self) -> tuple[bytes, bytes]:
        if self.elements is not None and self.types is not None:
            return self.elements, self.types
        return Path(self.paths[0]).read_bytes(), Path(self.paths[1]).read_bytes()


def read_model_files(baseline: str, models_dir: Path) -> ModelFiles:
    """The baseline's fitted models; only probabilistic scikit-learn baselines can score documents."""
    from .baselines import load_baseline

    spec = load_baseline(baseline)
    if spec["kind"] != "sklearn":
        raise MineError(f"baseline {baseline!r} is {spec['kind']!r}, it gives no probabilities; use a fitted one such as {DEFAULT_BASELINE}")
    paths = [models_dir / f"{baseline}-{task}.skops" for task in ("elements", "types")]
    for path in paths:
        if not path.exists():
            raise MineError(f"{path} not found: run `privacy-incidents evaluate --baseline {baseline}` first")
    elements, types = paths[0].read_bytes(), paths[1].read_bytes()
    digest = hashlib.sha256(elements + types).hexdigest()
    return ModelFiles(baseline, elements, types, digest, (str(paths[0].resolve()), str(paths[1].resolve())))


@dataclass(frozen=True)
class Models:
    """The loaded models; ``shared_features`` when both were fitted with the same TF-IDF vocabulary and weights."""

    elements: Any
    types: Any
    shared_features: bool


_LOADED: dict[str, Models] = {}  # per process: digest -> loaded models


def _load_skops(data: bytes) -> Any:
    """Like ``baselines.load_model``: trust only the scikit-learn, numpy and scipy types skops lists."""
    import skops.io as sio

    from .baselines import FittedBaseline

    untrusted = sio.get_untrusted_types(data=data)
    unexpected = [t for t in untrusted if not t.startswith(("sklearn.", "numpy.", "scipy.", "builtins."))]
    if unexpected:
        raise MineError(f"the model contains unexpected types {unexpected}; refusing to load it")
    saved = sio.loads(data, trusted=untrusted)
    return FittedBaseline("", "", saved["labels"], saved["kind"], saved["model"], saved["params"])


def _same_features(first: Any, second: Any) -> bool:
    """True when two pipelines' TF-IDF steps turn any text into the same vector (then one transform serves both)."""
    a, b = first.model.named_steps["tfidf"], second.model.named_steps["tfidf"]
    return a.get_params() == b.get_params() and a.vocabulary_ == b.vocabulary_ and np.array_equal(a.idf_, b.idf_)


def loaded_models(files: ModelFiles) -> Models:
    """The fitted models, loaded the first time this process needs them (skops loading takes seconds)."""
    key = files.digest
    if key not in _LOADED:
        elements, types = (_load_skops(data) for data in files.contents())
        _LOADED[key] = Models(elements, types, _same_features(elements, types))
    return _LOADED[key]


def features(model: Any, texts: list[str]) -> Any:
    """The TF-IDF matrix of ``texts`` (the expensive step: tokenising and counting)."""
    from .tfidf import transform

    return transform(model.model.named_steps["tfidf"], texts)


def probabilities(model: Any, texts: list[str], matrix: Any = None) -> np.ndarray:
    """Per sentence and label, a probability in [0, 1] (a logistic of the margin for SVMs)."""
    classifier = model.model.named_steps["clf"]
    matrix = features(model, texts) if matrix is None else matrix
    if hasattr(classifier, "predict_proba"):
        try:
            return np.asarray(classifier.predict_proba(matrix))
        except AttributeError:  # LinearSVC inside one-vs-rest: no probabilities
            pass
    return 1.0 / (1.0 + np.exp(-np.asarray(classifier.decision_function(matrix))))


def predicted_types(models: Models, texts: list[str], rows: list[int], matrix: Any) -> list[set[str]]:
    """Type sets of the sentences ``rows`` (reusing the elements' TF-IDF rows when the features are shared)."""
    if not rows:
        return []
    subset = matrix[rows] if models.shared_features else features(models.types, [texts[i] for i in rows])
    predicted = np.asarray(models.types.model.named_steps["clf"].predict(subset))
    return [{models.types.labels[j] for j in np.flatnonzero(row)} for row in predicted]


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
    labels = list(models.elements.labels)
    tfidf = features(models.elements, texts) if texts else None
    matrix = probabilities(models.elements, texts, tfidf) if texts else np.zeros((0, len(labels)))
    best = [best_sentences(matrix, first, last) for first, last in bounds]
    # Types only for the evidence sentences: a few per document instead of all of them.
    rows = [i for _, picked in best for i in picked]
    types_of = dict(zip(rows, predicted_types(models, texts, rows, tfidf)))
    order = list(models.types.labels)
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
