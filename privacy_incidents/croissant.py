"""A release folder -> its Croissant 1.0 JSON-LD (``croissant.json``), with the RAI extension.

Everything is derived: columns and types from ``release_features()``, label names from the
ClassLabels, configs and splits from ``CONFIGS``/``SPLITS``, file names from ``parquet_path``,
row counts and sha256 from the Parquet files themselves, RAI prose from ``cards/rai.yaml``.

How the document is laid out, and why (mlcroissant 1.1.1 is the reader we test against):

- ``distribution``: one ``cr:FileObject`` per Parquet file (relative ``contentUrl``, sha256,
  size), and one local ``cr:FileSet`` per config matching the same files. Record sets read
  through the FileSets, because mlcroissant cannot read a FileSet ``containedIn`` plain
  (non-archive) FileObjects; the FileObjects carry the checksums. mlcroissant only verifies a
  checksum when a record set reads that FileObject, so it does not check these:
  ``tests/test_croissant.py`` does.
- Splits follow the spec's convention: a ``splits`` record set (``dataType: cr:Split``) names
  train/validation/test with ``cr:TrainingSplit``/... and every config has a ``split`` field
  taken from the file path by a regex and ``references`` ``splits/name``. mlcroissant applies
  that regex twice when a field has ``references`` (once for the join, once more on the
  joined value), so the regex also accepts a bare split name; otherwise every record logs
  "Could not match".
- ClassLabel columns are stored as int64: ``sc:Integer``, the names in the description and in
  a ``sc:Enumeration`` record set (index, name). The label field does not ``references`` it:
  mlcroissant joins only one reference per record set (the split's) and cannot join list
  columns. Taxonomy labels also get the semantic type ``cr:Label``.
- List columns: ``repeated: true`` (Croissant 1.0; ``isArray`` is 1.1). mlcroissant reads
  Parquet list columns into Python lists of the element type.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from .layout import parquet_path
from .project import active
from .schema import CONFIGS, SPLITS, load_taxonomy, release_features

CROISSANT_FILE = "croissant.json"
RAI_FILE = "rai.yaml"
NAME = "privacy-incidents"
# A placeholder, not a machine path: the dataset lives in the repository of this name.
URL = "privacy-incidents"
CONFORMS_TO = ["http://mlcommons.org/croissant/1.0", "http://mlcommons.org/croissant/RAI/1.0"]
PARQUET = "application/x-parquet"
SPLITS_RECORD_SET = "splits"
SPLIT_FIELD = "split"
# Croissant's well-known split IRIs, by the split names this project uses.
SPLIT_IRIS = {"train": "cr:TrainingSplit", "validation": "cr:ValidationSplit", "test": "cr:TestSplit"}
KEYWORDS = [
    "privacy incidents",
    "data breaches",
    "information extraction",
    "multi-label text classification",
    "span extraction",
    "VERIS",
    "HIPAA",
]
# The RAI properties mlcroissant 1.1.1 reads (its Metadata fields), in the RAI spec's order;
# cards/rai.yaml may use these keys and no other.
RAI_FIELDS = (
    "dataCollection",
    "dataCollectionType",
    "dataCollectionRawData",
    "dataCollectionMissingData",
    "dataCollectionTimeframe",
    "dataImputationProtocol",
    "dataManipulationProtocol",
    "dataPreprocessingProtocol",
    "dataAnnotationProtocol",
    "dataAnnotationPlatform",
    "dataAnnotationAnalysis",
    "annotationsPerItem",
    "annotatorDemographics",
    "machineAnnotationTools",
    "dataBiases",
    "dataLimitations",
    "dataUseCases",
    "personalSensitiveInformation",
    "dataSocialImpact",
    "dataReleaseMaintenancePlan",
)
# The @context mlcroissant 1.1.1 writes for Croissant 1.0 (rdf.make_context); a missing key
# makes it warn that the context "is not standard". A test keeps the two equal.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
# HF Value dtypes -> Croissant 1.0 atomic types (1.0 has no sized integers).
VALUE_TYPES = {
    "string": "sc:Text",
    "large_string": "sc:Text",
    "int32": "sc:Integer",
    "int64": "sc:Integer",
    "bool": "sc:Boolean",
    "float32": "sc:Float",
    "float64": "sc:Float",
}
REQUIRED_FACTS = ("version", "license_name", "license_details")
OPTIONAL_FACTS = ("date_published", "licenses")


# --- inputs -----------------------------------------------------------------------------------


def load_rai(path: Path | None = None) -> dict[str, str]:
    """``cards/rai.yaml``: RAI property -> prose; unknown keys or non-text values are errors."""
    path = path or active().cards / RAI_FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = sorted(set(raw) - set(RAI_FIELDS))
    if unknown:
        raise ValueError(f"{path}: not Croissant RAI properties: {', '.join(unknown)}; known: {', '.join(RAI_FIELDS)}")
    for key, value in raw.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{path}: {key} must be non-empty text")
    return {key: raw[key].strip() for key in RAI_FIELDS if key in raw}


def check_facts(facts: dict[str, Any]) -> None:
    """The caller's facts: ``REQUIRED_FACTS`` present, nothing unexpected (a typo would vanish)."""
    missing = [k for k in REQUIRED_FACTS if not facts.get(k)]
    unknown = sorted(set(facts) - set(REQUIRED_FACTS) - set(OPTIONAL_FACTS))
    if missing or unknown:
        raise ValueError(f"croissant facts: missing {missing}, unknown {unknown}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def num_rows(path: Path) -> int:
    """Rows of a Parquet file, from its footer (no data read)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


# --- pieces of the document (pure) -------------------------------------------------------------


def file_object_id(config: str, split: str) -> str:

    return parquet_path(config, split)


def file_set_id(config: str) -> str:
    return f"{config}-parquet-files"


def split_regex(config: str) -> str:
    """Regex whose one group is the split, over a file's path relative to the release folder.

    Built from ``parquet_path`` so it matches exactly the files the build writes. Prefix and
    suffix are optional because mlcroissant re-applies the regex to the already extracted
    split name when the field ``references`` the splits (see the module docstring).
    """

    marker = "\x00"
    prefix, suffix = parquet_path(config, marker).split(marker)
    names = "|".join(re.escape(s) for s in SPLITS)
    return f"^(?:{re.escape(prefix)})?({names})(?:{re.escape(suffix)})?$"


def distribution(files: dict[tuple[str, str], tuple[str, int]]) -> list[dict[str, Any]]:
    """FileObjects (checksums) then FileSets (what record sets read), from ``(config, split) ->
    (sha256, size)``."""

    objects = [
        {
            "@type": "cr:FileObject",
            "@id": file_object_id(config, split),
            "name": file_object_id(config, split),
            "description": f"The {split} split of the {config} config; also matched by FileSet {file_set_id(config)}.",
            "contentUrl": parquet_path(config, split),
            "contentSize": f"{files[config, split][1]} B",
            "encodingFormat": PARQUET,
            "sha256": files[config, split][0],
        }
        for config, split in files
    ]
    sets = [
        {
            "@type": "cr:FileSet",
            "@id": file_set_id(config),
            "name": file_set_id(config),
            "description": f"The Parquet files of the {config} config, one per split.",
            "encodingFormat": PARQUET,
            "includes": parquet_path(config, "*"),
        }
        for config in CONFIGS
    ]
    return objects + sets


def class_label_sets() -> dict[tuple[str, ...], str]:
    """Every distinct ClassLabel of the release -> the id of its enumeration record set.

    Named after the shortest column that uses it (``element`` rather than ``elements``).
    """
    columns: dict[tuple[str, ...], list[str]] = {}
    for features in release_features().values():
        for column, feature in features.items():
            label = _class_label(feature)
            if label is not None:
                columns.setdefault(tuple(label.names), []).append(column)
    return {names: f"{min(cols, key=lambda c: (len(c), c))}_labels" for names, cols in columns.items()}


def _class_label(feature: Any) -> Any:
    """The ClassLabel of a column, or of its list elements; None if it has none."""
    from datasets import ClassLabel, List, Sequence

    if isinstance(feature, (List, Sequence)):
        feature = feature.feature
    return feature if isinstance(feature, ClassLabel) else None


def enumeration_record_set(set_id: str, names: tuple[str, ...]) -> dict[str, Any]:
    return {
        "@type": "cr:RecordSet",
        "@id": set_id,
        "name": set_id,
        "description": "Names of the integer labels (Hugging Face ClassLabel): index -> name.",
        "dataType": "sc:Enumeration",
        "key": {"@id": f"{set_id}/index"},
        "field": [
            {"@type": "cr:Field", "@id": f"{set_id}/index", "name": "index", "dataType": "sc:Integer"},
            {"@type": "cr:Field", "@id": f"{set_id}/name", "name": "name", "dataType": "sc:Text"},
        ],
        "data": [{f"{set_id}/index": i, f"{set_id}/name": name} for i, name in enumerate(names)],
    }


def splits_record_set() -> dict[str, Any]:
    return {
        "@type": "cr:RecordSet",
        "@id": SPLITS_RECORD_SET,
        "name": SPLITS_RECORD_SET,
        "description": "The splits. Whole incidents are assigned to one split by a seeded hash of the incident id.",
        "dataType": "cr:Split",
        "key": {"@id": f"{SPLITS_RECORD_SET}/name"},
        "field": [
            {"@type": "cr:Field", "@id": f"{SPLITS_RECORD_SET}/name", "name": "name", "dataType": "sc:Text"},
            # The spec's example types this field cr:Split alone; mlcroissant needs an atomic type too.
            {"@type": "cr:Field", "@id": f"{SPLITS_RECORD_SET}/url", "name": "url", "dataType": ["sc:URL", "cr:Split"]},
        ],
        "data": [{f"{SPLITS_RECORD_SET}/name": s, f"{SPLITS_RECORD_SET}/url": SPLIT_IRIS[s]} for s in SPLITS],
    }


def column_field(config: str, column: str, feature: Any, label_sets: dict[tuple[str, ...], str]) -> dict[str, Any]:
    """One Parquet column as a Croissant field."""
    from datasets import List, Sequence, Value

    repeated = isinstance(feature, (List, Sequence))
    element = feature.feature if repeated else feature
    label = _class_label(feature)
    if label is not None:
        taxonomy = load_taxonomy()
        is_task_label = tuple(label.names) in {taxonomy.elements, taxonomy.type_names}
        data_type: str | list[str] = ["sc:Integer", "cr:Label"] if is_task_label else "sc:Integer"
        names = ", ".join(f"{i} {name}" for i, name in enumerate(label.names))
        description = (
            f"{'List of label indices' if repeated else 'Label index'} (ClassLabel, int64 in Parquet); "
            f"names in record set {label_sets[tuple(label.names)]}: {names}."
        )
    elif isinstance(element, Value) and element.dtype in VALUE_TYPES:
        data_type = VALUE_TYPES[element.dtype]
        description = f"Column {column} ({'list of ' if repeated else ''}{element.dtype})."
    else:
        raise TypeError(f"{config}.{column}: no Croissant type for feature {feature!r}; add one to croissant.py")
    field: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": f"{config}/{column}",
        "name": column,
        "description": description,
        "dataType": data_type,
        "source": {"fileSet": {"@id": file_set_id(config)}, "extract": {"column": column}},
    }
    if repeated:
        field["repeated"] = True
    return field


def split_field(config: str) -> dict[str, Any]:
    return {
        "@type": "cr:Field",
        "@id": f"{config}/{SPLIT_FIELD}",
        "name": SPLIT_FIELD,
        "description": "The split of the record, read from the path of its Parquet file.",
        "dataType": "sc:Text",
        "source": {
            "fileSet": {"@id": file_set_id(config)},
            "extract": {"fileProperty": "fullpath"},
            "transform": {"regex": split_regex(config)},
        },
        "references": {"field": {"@id": f"{SPLITS_RECORD_SET}/name"}},
    }


def config_record_set(config: str, rows: int, label_sets: dict[tuple[str, ...], str]) -> dict[str, Any]:
    """A config as one record set: its columns, in feature order, then ``split``."""
    features = release_features()[config]
    if SPLIT_FIELD in features:
        raise ValueError(f"{config} has a column named {SPLIT_FIELD!r}, which the split field would shadow")
    key_column = next(iter(features))  # every config's first column is its id
    return {
        "@type": "cr:RecordSet",
        "@id": config,
        "name": config,
        "description": f"The {config} config: {rows} rows over all splits; key {key_column}.",
        "key": {"@id": f"{config}/{key_column}"},
        "field": [column_field(config, c, f, label_sets) for c, f in features.items()] + [split_field(config)],
    }


def description(rows: dict[str, int]) -> str:
    taxonomy = load_taxonomy()
    elements = ", ".join(e.replace("_", " ") for e in taxonomy.elements)
    counts = ", ".join(f"{rows[c]} {c}" for c in CONFIGS)
    return (
        "Texts that report privacy incidents (regulators' breach narratives, news articles), split into "
        "sentences; every sentence is labelled with the incident elements it states "
        f"({elements}), each with a type from a closed taxonomy (version {taxonomy.version}), and the exact "
        f"character spans behind every label. This release: {counts}; "
        f"splits {', '.join(SPLITS)} assigned by incident."
    )


def cite_as() -> str:
    """The BibTeX entry, here and in the card's Citation section (declared once)."""
    return (
        "@misc{privacy_incidents,\n"
        "  title  = {privacy-incidents: sentence- and span-level labels of privacy incidents},\n"
        "  author = {{privacy-incidents maintainers}},\n"
        "  year   = {2026},\n"
        f"  note   = {{Dataset, taxonomy version {load_taxonomy().version}}}\n"
        "}"
    )


# --- the document ------------------------------------------------------------------------------


def croissant_document(release_dir: Path, facts: dict[str, Any], *, rai_path: Path | None = None) -> dict[str, Any]:
    """The Croissant 1.0 + RAI JSON-LD of the release in ``release_dir``, as a dict.

    ``release_dir`` already holds every ``parquet_path(config, split)``; their bytes give the
    sha256, their footers the row counts. ``facts`` (all text):

    - ``version``: the release version, semantic versioning (``"1.0.0"``);
    - ``license_name``, ``license_details``: the card's licence name and wording
      (``card_header(...)["license_name"]``, ``["license_details"]``);
    - ``date_published`` (optional): ISO date of the release; mlcroissant warns without it;
    - ``licenses`` (optional): ``[{"name", "description"}]``, one per licence of the texts held
      (then ``license`` is that list; ``license_name``/``license_details`` stay the card's summary).

    Same files, facts and ``rai.yaml`` give the same document: no clock, no machine paths.
    """
    check_facts(facts)

    # A split with no rows has no file (``build.splits_with_rows``); every config needs one file at least.
    paths = {(c, s): release_dir / parquet_path(c, s) for c in CONFIGS for s in SPLITS}
    paths = {key: path for key, path in paths.items() if path.is_file()}
    empty = [c for c in CONFIGS if not any((c, s) in paths for s in SPLITS)]
    if empty:
        raise FileNotFoundError(f"{release_dir}: no Parquet file for config(s) {', '.join(empty)}")
    files = {k: (sha256_of(p), p.stat().st_size) for k, p in paths.items()}
    rows = {c: sum(num_rows(path) for (config, _), path in paths.items() if config == c) for c in CONFIGS}
    label_sets = class_label_sets()
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": NAME,
        "description": description(rows),
        "conformsTo": CONFORMS_TO,
        "citeAs": cite_as(),
        "creator": {"@type": "sc:Organization", "name": "privacy-incidents maintainers"},
        # One licence per kind of text in the release, each saying which sources and how many texts.
        "license": [{"@type": "sc:CreativeWork", **entry} for entry in facts["licenses"]]
        if facts.get("licenses")
        else {"@type": "sc:CreativeWork", "name": facts["license_name"], "description": facts["license_details"]},
        "url": URL,
        "version": facts["version"],
        "inLanguage": "en",
        "keywords": KEYWORDS,
    }
    if facts.get("date_published"):
        doc["datePublished"] = facts["date_published"]
    doc.update({f"rai:{key}": value for key, value in load_rai(rai_path).items()})
    doc["distribution"] = distribution(files)
    doc["recordSet"] = (
        [splits_record_set()]
        + [enumeration_record_set(set_id, names) for names, set_id in label_sets.items()]
        + [config_record_set(c, rows[c], label_sets) for c in CONFIGS]
    )
    return doc


def render(doc: dict[str, Any]) -> str:
    """The file's text: key order as built, UTF-8 kept, trailing newline."""
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def write_croissant(release_dir: Path, facts: dict[str, Any], *, rai_path: Path | None = None) -> None:
    """Write ``release_dir/croissant.json`` for the Parquet files already in ``release_dir``."""
    text = render(croissant_document(release_dir, facts, rai_path=rai_path))
    (release_dir / CROISSANT_FILE).write_text(text, encoding="utf-8")
