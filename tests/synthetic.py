"""A small synthetic release (sentences and spans Parquet), for evaluation tests of any shape.

Sentences are built from a few templates whose spans are known exactly, so any number of
sources, incidents and silver incidents can be made in milliseconds.
"""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from privacy_incidents.layout import parquet_path
from privacy_incidents.schema import LABEL_SOURCES, load_taxonomy

# (text, [(quote, element:type)]) — every quote occurs once in its text
TEMPLATES = [
    ("A nurse viewed the medical records of patients.", [("nurse", "actor:insider_employee"), ("viewed", "action:unauthorised_access"), ("medical records", "data_accessed:health")]),
    ("Hackers stole names and Social Security numbers.", [("Hackers", "actor:criminal_hacker"), ("names", "data_accessed:identity_contact"), ("Social Security numbers", "data_accessed:government_id")]),
    ("A laptop was stolen from a car.", [("was stolen", "action:theft")]),
    ("The clinic notified the affected individuals.", [("notified the affected individuals", "consequence:notification")]),
    ("The employee was fired.", [("employee", "actor:insider_employee"), ("was fired", "consequence:personnel_action")]),
    ("The weather was fine that week.", []),
]


def sentence_rows(incident: str, source: str, label_source: str, rng: random.Random, start_index: int = 0):
    taxonomy = load_taxonomy()
    sentences, spans = [], []
    picks = rng.sample(range(len(TEMPLATES)), 3)
    for k, template in enumerate(picks):
        text, quotes = TEMPLATES[template]
        sentence_id = f"{incident}-s{k:03d}"
        types = sorted({taxonomy.type_names.index(label) for _, label in quotes})
        elements = sorted({taxonomy.elements.index(label.split(":")[0]) for _, label in quotes})
        sentences.append({
            "sentence_id": sentence_id, "incident_id": incident, "article_id": incident, "source": source,
            "sentence_index": k, "start": 100 * k, "end": 100 * k + len(text), "text": text, "elements": elements,
            "types": types, "label_source": LABEL_SOURCES.index(label_source), "quality_flags": [],
            "duplicate_group": f"{incident}-{k}", "duplicate_count": 1,
        })
        for n, (quote, label) in enumerate(quotes):
            at = text.index(quote)
            element, _ = label.split(":")
            spans.append({
                "span_id": f"{sentence_id}-{n:02d}", "incident_id": incident, "article_id": incident, "sentence_id": sentence_id,
                "start": 100 * k + at, "end": 100 * k + at + len(quote), "text": quote,
                "element": taxonomy.elements.index(element), "type": taxonomy.type_names.index(label),
                "label_source": LABEL_SOURCES.index(label_source),
            })
    return sentences, spans


def write_release(dataset: Path, incidents_per_split: dict[str, dict[str, int]], silver: dict[str, set[str]] | None = None, seed: int = 0) -> Path:
    """``incidents_per_split[split][source]`` incidents of three sentences each; ``silver[split]`` ids are silver."""
    from privacy_incidents.schema import release_features

    rng = random.Random(seed)
    features = release_features()
    silver = silver or {}
    for split, by_source in incidents_per_split.items():
        sentences, spans = [], []
        for source, count in by_source.items():
            for number in range(count):
                incident = f"{source}-{split}-{number:04d}"
                status = "silver" if incident in silver.get(split, set()) else "gold"
                s, p = sentence_rows(incident, source, status, rng)
                sentences += s
                spans += p
        for config, rows in (("sentences", sentences), ("spans", spans)):
            path = dataset / parquet_path(config, split)
            path.parent.mkdir(parents=True, exist_ok=True)
            schema = features[config].arrow_schema
            pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return dataset
