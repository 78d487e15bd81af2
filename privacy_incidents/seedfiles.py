"""Reading and writing the files under ``seeds/`` (I/O at the edge, precise errors).

Every problem becomes a ``SeedError`` that names the file, the line when there is one, and
what is valid, so ``validate`` can list them all at once.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .schema import AnnotationFile, IncidentMeta

SEEDS_DIR = Path("seeds")
INCIDENTS_DIR = SEEDS_DIR / "incidents"
HHS_DIR = SEEDS_DIR / "hhs-ocr"
HHS_CSV = HHS_DIR / "breach_report_archive.csv"
HHS_ANNOTATIONS_DIR = HHS_DIR / "annotations"
HHS_AGREEMENT_DIR = HHS_DIR / "agreement"
INCIDENT_FILE = "incident.yaml"
ANNOTATION_FILE = "annotations.yaml"


@dataclass(frozen=True)
class SeedError(Exception):
    """A problem in a seed file, located as precisely as we can."""

    path: Path
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


class SeedErrors(Exception):
    """Several problems found at once (``validate`` lists all of them)."""

    def __init__(self, errors: list[SeedError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that records each mapping's line as ``__line__`` (1-based)."""


def _construct_mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_with_line)


def read_text_file(path: Path) -> str:
    """Read an article or YAML file as UTF-8; a clear error for anything else or for an empty file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SeedError(path, "file not found") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SeedError(path, f"not UTF-8 text (byte {error.start}: {data[error.start:error.start + 1]!r}); save it as UTF-8") from None
    if not text.strip():
        raise SeedError(path, "file is empty")
    return text


def load_yaml(path: Path) -> Any:
    """YAML with ``__line__`` on every mapping; a syntax error names file and line."""
    text = read_text_file(path)
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise SeedError(path, f"malformed YAML: {error.problem or error}", line) from None


def _pydantic_errors(path: Path, raw: Any, error: ValidationError) -> list[SeedError]:
    found = []
    for item in error.errors():
        node, line = raw, getattr(raw, "get", lambda *_: None)("__line__")
        for key in item["loc"]:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                break
            if isinstance(node, dict) and "__line__" in node:
                line = node["__line__"]
        location = ".".join(str(k) for k in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "literal_error":
            message = f"{item['input']!r} is not valid; {message.lower()}"
        found.append(SeedError(path, f"{location}: {message}" if location else message, line))
    return found


def parse_model(path: Path, model: type[BaseModel]) -> Any:
    """Load a YAML seed file into ``model``; all validation problems in one ``SeedErrors``."""
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise SeedError(path, f"expected a mapping at the top level, found {type(raw).__name__}", 1)
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise SeedErrors(_pydantic_errors(path, raw, error)) from None


def load_incident_meta(folder: Path) -> IncidentMeta:
    return parse_model(folder / INCIDENT_FILE, IncidentMeta)


def load_annotations(path: Path) -> AnnotationFile:
    return parse_model(path, AnnotationFile)


def leading_comments(text: str) -> str:
    """The comment block at the top of a YAML file, kept when the file is rewritten."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line + "\n")
    return "".join(lines)


def dump_annotations(annotations: AnnotationFile) -> str:
    """YAML text of an annotation file, one span per line (easy to review in a diff)."""
    lines = [
        f"incident_id: {annotations.incident_id}",
        f"status: {annotations.status}",
        f"annotator: {yaml.safe_dump(annotations.annotator, width=1000).strip().removesuffix('...').strip()}",
    ]
    if annotations.reviewer:
        lines.append(f"reviewer: {yaml.safe_dump(annotations.reviewer, width=1000).strip().removesuffix('...').strip()}")
    lines += [f"guideline_version: '{annotations.guideline_version}'", "articles:"]
    for article in annotations.articles:
        lines.append(f"  - article_id: {article.article_id}")
        if not article.spans:
            lines.append("    spans: []")
            continue
        lines.append("    spans:")
        for span in article.spans:
            fields = span.model_dump(exclude_none=True)
            flow = yaml.safe_dump(fields, default_flow_style=True, sort_keys=False, width=10_000, allow_unicode=True)
            lines.append(f"      - {flow.strip()}")
    return "\n".join(lines) + "\n"


def stage_file(target: Path, text: str | bytes) -> Path:
    """Write ``text`` (or bytes) to a hidden temporary file beside ``target``, so a rename puts it in place at once."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Suffix .tmp, not .yaml: a build globbing the folder must not pick up a staged file.
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    if isinstance(text, bytes):  # model files
        with os.fdopen(handle, "wb") as binary:
            binary.write(text)
    else:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
    os.chmod(name, 0o644)  # mkstemp makes it private; seed and task files are for everyone to read
    return Path(name)


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write through a temporary file and a rename: readers never see half a file."""
    temporary = stage_file(path, text)
    try:
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
