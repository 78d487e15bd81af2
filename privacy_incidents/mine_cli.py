"""The ``mine`` and ``candidate`` verbs (registered by ``cli.build_parser``), and the candidate -> ``new`` step.

``candidate candidates.jsonl:LINE --out FILE`` writes that document's text, taken from its shard,
to FILE and prints the ``privacy-incidents new`` command that adds it as an incident.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from .mine import DEFAULT_BASELINE, MineError, read_documents, SHARD_SUFFIXES

MINE_EXAMPLES = (
    "examples:\n  privacy-incidents mine --input 'news/*.parquet' --output candidates.jsonl --top 1000\n"
    "  privacy-incidents mine --input news.jsonl --output candidates.jsonl --scheduler threads\n"
    "  privacy-incidents mine --input '/shared/news/*.jsonl' --output candidates.jsonl --scheduler tcp://HOST:8786\n"
    "input: JSONL or Parquet shards, one article a row: 'id' and 'text', optional 'title', 'url', 'date'.\n"
    "output: one JSON object a document, best score first: id, score, elements, types, evidence, shard, row.\n"
    "then: privacy-incidents candidate candidates.jsonl:1 --out article.txt   (prints the `new` command)"
)
CANDIDATE_EXAMPLES = (
    "examples:\n  privacy-incidents candidate candidates.jsonl:3 --out article.txt\n"
    "reads line 3 of candidates.jsonl, takes the document from its shard (run from where `mine` ran),\n"
    "writes its text to article.txt and prints the `privacy-incidents new` command to add it."
)


def cmd_mine(args: argparse.Namespace) -> int:
    from .mine import mine, read_model_files

    try:
        files = read_model_files(args.baseline, args.project.models)
        count = mine(args.input, Path(args.output), files, top=args.top, scheduler=args.scheduler,
                     workers=args.workers, progress=not args.no_progress and sys.stderr.isatty())
    except MineError as error:
        print(f"error: {error}", file=sys.stderr)
        print(f"nothing was written to {args.output}.", file=sys.stderr)
        return 1
    print(f"wrote {count} candidate(s) to {args.output}, best first")
    return 0


def parse_reference(reference: str) -> tuple[Path, int]:
    """``FILE:LINE`` -> (FILE, LINE), LINE counted from 1.

    >>> parse_reference("candidates.jsonl:12")
    (PosixPath('candidates.jsonl'), 12)
    """
    path, _, line = reference.rpartition(":")
    if not path or not line.isdigit() or int(line) < 1:
        raise MineError(f"{reference!r}: give the candidates file and a line number from 1, e.g. candidates.jsonl:1")
    return Path(path), int(line)


def read_candidate(path: Path, line: int) -> dict[str, Any]:
    """The candidate record on ``line`` of a ``mine`` output."""
    if not path.is_file():
        raise MineError(f"{path}: no such file; give the output of `privacy-incidents mine`")
    count = 0
    with path.open(encoding="utf-8") as stream:
        for count, text in enumerate(stream, start=1):
            if count == line:
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as problem:
                    raise MineError(f"{path}:{line}: not valid JSON ({problem.msg})") from None
                if not isinstance(record, dict) or not {"shard", "row", "id"} <= record.keys():
                    raise MineError(f"{path}:{line}: not a candidate of `privacy-incidents mine` (needs id, shard and row)")
                return record
    raise MineError(f"{path}: has {count} line(s), no line {line}")


def candidate_document(record: dict[str, Any]) -> Any:
    """The document a candidate came from, read again from its shard."""
    shard = record["shard"]
    if not Path(shard).is_file() or Path(shard).suffix.lower() not in SHARD_SUFFIXES:
        raise MineError(f"{shard}: the candidate's shard is not here; run this where `mine` ran")
    for document in read_documents(shard):
        if document.row == record["row"]:
            if document.id != record["id"]:
                raise MineError(f"{shard}: row {document.row} is now {document.id!r}, not {record['id']!r}: the shard changed since `mine`")
            return document
    raise MineError(f"{shard}: no row {record['row']}: the shard changed since `mine`")


def suggested_id(record: dict[str, Any]) -> str:
    """A readable incident id from the title (or the document id), to edit before use.

    >>> suggested_id({"id": "x1", "title": "Hospital: nurse snooped on 300 patients!", "date": "2024-03-01"})
    'hospital-nurse-snooped-on-300-patients-2024'
    """
    base = re.sub(r"[^a-z0-9]+", "-", (record.get("title") or f"candidate {record['id']}").lower()).strip("-")[:60].strip("-")
    base = base or "candidate"  # a title with no ASCII letters or digits
    year = (record.get("date") or "")[:4]
    return f"{base}-{year}" if year.isdigit() else base


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def cmd_candidate(args: argparse.Namespace) -> int:
    out = Path(args.out)
    path, line = parse_reference(args.reference)  # a bad reference or line: a MineError, shown by main
    record = read_candidate(path, line)
    document = candidate_document(record)
    if out.exists():
        raise MineError(f"{out}: exists; choose another --out (nothing is overwritten)")
    out.write_text(document.text.rstrip("\n") + "\n", encoding="utf-8")
    command = [f"privacy-incidents new {suggested_id(record)} --from {_quote(str(out))}"]
    for flag, key in (("--title", "title"), ("--url", "url"), ("--published", "date")):
        value = document.meta.get(key)
        if value and (key != "date" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
            command.append(f"{flag} {_quote(value)}")
    command.append("--license 'the publisher’s licence'")
    print(f"wrote {record['id']} (score {record['score']}, from {record['shard']} row {record['row']}) to {out}")
    print("add it as an incident (edit the id and licence first):")
    print("  " + " \\\n    ".join(command))
    return 0


def register(verb: Any) -> None:
    """Add the ``mine`` and ``candidate`` verbs; ``verb`` is ``cli.build_parser``'s helper."""
    mine = verb("mine", cmd_mine, "Rank the articles of a large corpus by how strongly they report a privacy incident (Dask).")
    mine.epilog = MINE_EXAMPLES
    mine.add_argument("--input", required=True, metavar="PATH|GLOB", help="JSONL or Parquet shards (quote a glob)")
    mine.add_argument("--output", required=True, help="candidates JSONL to write (atomically)")
    mine.add_argument("--baseline", default=DEFAULT_BASELINE, help=f"a fitted scikit-learn baseline (default: {DEFAULT_BASELINE})")
    mine.add_argument("--top", type=int, help="keep only the K best documents (default: all)")
    mine.add_argument("--scheduler", default="processes",
                      help="processes (default: local, one process per core), threads, synchronous, or a Dask cluster tcp://HOST:8786")
    mine.add_argument("--workers", type=int, help="local worker processes or threads (default: one per core)")
    mine.add_argument("--no-progress", action="store_true", help="no progress bar")
    candidate = verb("candidate", cmd_candidate, "Write a mined candidate's text to a file, for `privacy-incidents new`.")
    candidate.epilog = CANDIDATE_EXAMPLES
    candidate.add_argument("reference", metavar="CANDIDATES:LINE", help="the mine output and a line number, e.g. candidates.jsonl:1")
    candidate.add_argument("--out", required=True, help="the text file to write (not overwritten)")
    candidate.set_defaults(project_free=True)  # reads only the candidates file and its shard
