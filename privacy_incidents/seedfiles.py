"""Reading and writing the files under ``seeds/`` (I/O at the edge, precise errors).

Every problem becomes a ``SeedError`` that names the file, the line when there is one, and
what is valid, so ``validate`` can list them all at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .atomic import stage_file, write_atomic  # noqa: F401 - re-exported for the seed writers
from .project import SeedError, SeedErrors  # noqa: F401 - re-exported: the seed readers raise them
from .schema import AnnotationFile, IncidentMeta

INCIDENT_FILE = "incident.yaml"
ANNOTATION_FILE = "annotations.yaml"


def gathered(errors: list[SeedError], function: Any, *args: Any) -> Any:
    """``function(*args)``; a ``SeedError`` or ``SeedErrors`` it raises is added to ``errors`` and None
    returned instead, so a verb can go on and report every problem at once."""
    try:
        return function(*args)
    except SeedError as error:
        errors.append(error)
    except SeedErrors as many:
        errors.extend(many.errors)
    return None


class _LineLoader(yaml.CSafeLoader):
    """A YAML loader that records each mapping's line as ``__line__`` (1-based).

    Built on libyaml's parser (``CSafeLoader``): the 683 OCR files parse in 0.2 s, not 1.5 s.
    """


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
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a CSafeLoader subclass
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


def _round_trip_yaml() -> Any:
    """ruamel.yaml in round-trip mode: comments and key order of an edited file survive a rewrite."""
    from ruamel.yaml import YAML

    handler = YAML(typ="rt")
    handler.width = 10_000  # one span a line, however long its quote
    handler.indent(mapping=2, sequence=4, offset=2)
    return handler


def dump_annotations(annotations: AnnotationFile, previous_text: str | None = None, header: str = "") -> str:
    """YAML text of an annotation file, one span per line (easy to review in a diff).

    With ``previous_text`` (the file being replaced), its comments are kept; a new file starts
    with ``header`` (comment lines). Values that
    would read back as another type (an id ``2024``, a version ``1.0``) are quoted.

    >>> from privacy_incidents.schema import AnnotationFile
    >>> print(dump_annotations(AnnotationFile(incident_id="2024", status="silver", annotator="rules_v1",
    ...     annotator_kind="rules", review="none", guideline_version="1.0", articles=[])), end="")
    incident_id: '2024'
    status: silver
    annotator: rules_v1
    annotator_kind: rules
    review: none
    guideline_version: '1.0'
    articles: []
    """
    import io

    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    handler = _round_trip_yaml()
    document = handler.load(previous_text) if previous_text else None
    if not isinstance(document, CommentedMap):
        document = CommentedMap()
    fields = annotations.model_dump(mode="json", exclude={"articles"}, exclude_none=True)
    for key in [k for k in document if k not in fields and k != "articles"]:
        del document[key]
    for key, value in fields.items():
        document[key] = value
    articles = CommentedSeq()
    for article in annotations.articles:
        spans = CommentedSeq()
        for span in article.spans:
            flow = CommentedMap(span.model_dump(exclude_none=True))
            flow.fa.set_flow_style()
            spans.append(flow)
        articles.append(CommentedMap(article_id=article.article_id, spans=spans))
    document["articles"] = articles
    order = [*fields, "articles"]
    for key in sorted(document, key=order.index):  # a fixed key order, whatever the old file had
        document.move_to_end(key)
    stream = io.StringIO()
    handler.dump(document, stream)
    return ("" if previous_text else header) + stream.getvalue()


def dump_incident(meta: IncidentMeta, previous_text: str | None = None, header: str = "") -> str:
    """YAML text of an ``incident.yaml``; with ``previous_text`` its comments are kept, a new file starts with ``header``."""
    import io

    from ruamel.yaml.comments import CommentedMap

    handler = _round_trip_yaml()
    document = handler.load(previous_text) if previous_text else None
    if not isinstance(document, CommentedMap):
        document = CommentedMap()
    data = meta.model_dump(mode="json", exclude_none=True)
    # False is the default of these flags: leave them out unless set, as a person would write the file.
    data["articles"] = [
        {k: v for k, v in a.items() if v is not False or k == "redistributable"} for a in data["articles"]
    ]
    for key in [k for k in document if k not in data]:
        del document[key]
    for key, value in data.items():
        document[key] = value
    for key in sorted(document, key=list(data).index):
        document.move_to_end(key)
    stream = io.StringIO()
    handler.dump(document, stream)
    return ("" if previous_text else header) + stream.getvalue()
