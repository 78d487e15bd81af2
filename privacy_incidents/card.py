"""cards/ templates + computed facts -> dataset/README.md (the card with its YAML header).

The YAML header is what ``load_dataset`` reads: configs, features and split sizes, all
derived from ``schemas/labels.yaml`` and the rows just built. Never edit the output by hand.
"""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import jinja2
import yaml

from .benchmark_card import benchmark_facts, load_results, write_transfer_plot
from .croissant import cite_as, load_rai
from .layout import parquet_path, splits_with_rows
from .normalize import NORMALIZER_VERSION
from .plots import PLOT_PATHS, length_table, sentence_lengths, write_plots
from .project import Project, active, using
from .schema import CONFIGS, DEFAULT_CONFIG, GUIDELINE_VERSION, SPLITS, load_changelog, load_taxonomy, release_features
from .segment import SEGMENTER_VERSION

CARD_TEMPLATE = "dataset-card.md.j2"
ERRATA = "errata.yaml"
# Hub licence ids of the licences the sources declare; anything else is "other".
HUB_LICENSES = {"CC-BY-4.0": "cc-by-4.0", "CC-BY-NC-SA-4.0": "cc-by-nc-sa-4.0", "CC-BY-SA-4.0": "cc-by-sa-4.0"}


Release = dict[str, dict[str, list[dict[str, Any]]]]
NumBytes = dict[tuple[str, str], int]


def dataset_info_yaml(release: Release, num_bytes: NumBytes) -> list[dict[str, Any]]:
    import datasets

    infos = []
    for config in CONFIGS:
        splits = datasets.SplitDict()
        for split in splits_with_rows(release, config):
            splits.add(datasets.SplitInfo(split, num_bytes=num_bytes[config, split], num_examples=len(release[config][split])))
        info = datasets.DatasetInfo(features=release_features()[config], splits=splits)
        yaml_dict = info._to_yaml_dict()
        yaml_dict["splits"] = [{k: s[k] for k in ("name", "num_bytes", "num_examples")} for s in yaml_dict["splits"]]
        infos.append({"config_name": config, **yaml_dict})
    return infos


def licences(articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The licences of the texts in a release, with how many texts each and what they allow (pure)."""
    counts = Counter((a["license"], a["redistributable"], a["commercial_use"]) for a in articles)
    return [
        {"license": name, "redistributable": redistributable, "commercial_use": commercial, "articles": n}
        for (name, redistributable, commercial), n in sorted(counts.items())
    ]


def licence_entries(release: Release) -> list[dict[str, str]]:
    """One entry per licence of the texts in the release: which sources, how many texts, what it allows."""
    articles = [row for s in SPLITS for row in release["articles"][s]]
    entries = []
    for entry in licences(articles):
        mine = [a for a in articles if (a["license"], a["redistributable"], a["commercial_use"])
                == (entry["license"], entry["redistributable"], entry["commercial_use"])]
        by_source = Counter(a["source"] for a in mine)
        attributions = sorted({a["attribution"] for a in mine if a["attribution"]})
        uses = "may be redistributed" + ("" if entry["commercial_use"] else ", non-commercial use only") if entry["redistributable"] else "not redistributable"
        entries.append({
            "name": entry["license"],
            "description": f"{entry['articles']} text(s) ({uses}): "
            + ", ".join(f"{source} {n}" for source, n in sorted(by_source.items()))
            + (f". Attribution: {attributions[0]}" if len(attributions) == 1 else ". Attribution: per text, articles.attribution" if attributions else ""),
        })
    return entries


# A type whose release has this many gold spans should have this many in test, or the card says so.
SHORTFALL_RULE = {"release": 100, "test": 20}
# The Hub's names for who made the labels: a person's reading, or a program's (a language-model
# annotator or the rules). Derived from the rows, so the header cannot claim a kind that is absent.
HUB_ANNOTATION_CREATORS = {"person": "expert-generated", "model": "machine-generated", "rules": "machine-generated"}


def annotation_creators(release: Release) -> list[str]:
    kinds = {row["annotator_kind"] for s in SPLITS for row in release["incidents"][s]}
    return sorted({HUB_ANNOTATION_CREATORS[kind] for kind in kinds})


def card_header(release: Release, num_bytes: NumBytes) -> dict[str, Any]:
    total_sentences = sum(len(release["sentences"][s]) for s in SPLITS)
    present = licences([row for s in SPLITS for row in release["articles"][s]])
    hub_ids = sorted({HUB_LICENSES.get(entry["license"], "other") for entry in present})
    details = "; ".join(
        f"{e['license']}: {e['articles']} text(s)"
        + ("" if e["redistributable"] else ", not redistributable")
        + ("" if e["commercial_use"] or not e["redistributable"] else ", non-commercial use only")
        for e in present
    )
    return {
        "pretty_name": "privacy-incidents",
        "license": hub_ids[0] if len(hub_ids) == 1 else hub_ids,
        "license_name": "mixed" if len(present) > 1 else present[0]["license"] if present else "none",
        "license_details": f"Each text keeps its own licence (articles.license, articles.attribution): {details}.",
        "language": ["en"],
        "task_categories": ["text-classification", "token-classification"],
        "task_ids": ["multi-label-classification", "named-entity-recognition"],
        "size_categories": ["1K<n<10K" if total_sentences < 10_000 else "10K<n<100K"],
        "source_datasets": ["original"],
        "annotations_creators": annotation_creators(release),
        "language_creators": ["found"],
        "multilinguality": ["monolingual"],
        "configs": [
            {
                "config_name": config,
                **({"default": True} if config == DEFAULT_CONFIG else {}),
                "data_files": [{"split": s, "path": parquet_path(config, s)} for s in splits_with_rows(release, config)],
            }
            for config in CONFIGS
        ],
        "dataset_info": dataset_info_yaml(release, num_bytes),
    }


def per_source_facts(release: Release, collected: Any) -> list[dict[str, Any]]:
    """One row a source: what it is, how many incidents and texts, their licences, and how they were labelled."""
    from .project import active
    from .sources import registry

    incidents = [row for s in SPLITS for row in release["incidents"][s]]
    articles = {row["article_id"]: row for s in SPLITS for row in release["articles"][s]}
    sentences = Counter(row["source"] for s in SPLITS for row in release["sentences"][s])
    out_of_scope = Counter(o.source for o in collected.out_of_scope) if collected else Counter()
    rows = []
    for source in registry(active()):
        mine = [r for r in incidents if r["source"] == source.id]
        texts = [articles[a] for r in mine for a in r["article_ids"] if a in articles]
        rows.append(
            {
                "id": source.id,
                "description": source.description,
                "folder": source.folder.relative_to(active().root).as_posix(),
                "incidents": len(mine),
                "articles": len(texts),
                "sentences": sentences[source.id],
                "out_of_scope": out_of_scope[source.id],
                "licences": licences(texts),
                "attributions": sorted({t["attribution"] for t in texts if t["attribution"]}),
                "gold": sum(r["label_source"] == "gold" for r in mine),
                "silver": sum(r["label_source"] == "silver" for r in mine),
                "annotated_by": sorted(Counter((r["annotator_kind"], r["review"]) for r in mine if r["label_source"] == "gold").items()),
            }
        )
    return rows


def card_facts(
    release: Release, quality: dict[str, Any], project: Project, variant: Any = None, collected: Any = None
) -> dict[str, Any]:
    """Every number the card shows, computed from the rows; ``variant`` is set for a licence variant."""
    taxonomy = load_taxonomy()
    incidents = [row for s in SPLITS for row in release["incidents"][s]]
    sentences = [row for s in SPLITS for row in release["sentences"][s]]
    spans = [row for s in SPLITS for row in release["spans"][s]]
    articles = [row for s in SPLITS for row in release["articles"][s]]
    per_split = [
        {
            "split": s,
            "incidents": len(release["incidents"][s]),
            "articles": len(release["articles"][s]),
            "sentences": len(release["sentences"][s]),
            "spans": len(release["spans"][s]),
            "gold_sentences": sum(r["label_source"] == "gold" for r in release["sentences"][s]),
        }
        for s in SPLITS
    ]
    element_counts = Counter(e for r in sentences for e in r["elements"])
    type_counts = Counter(r["type"] for r in spans)
    gold_type_counts = Counter(r["type"] for r in spans if r["label_source"] == "gold")
    gold_test_counts = Counter(r["type"] for r in release["spans"]["test"] if r["label_source"] == "gold")
    sentence_type_counts = Counter(t for r in sentences for t in r["types"])
    flags = Counter(f for r in sentences for f in r["quality_flags"])
    results = load_results(project.results)
    out_of_scope = Counter((o.source, o.reason) for o in collected.out_of_scope) if collected else Counter()
    return {
        "taxonomy": taxonomy,
        "changelog": load_changelog(),
        "per_split": per_split,
        "sources": per_source_facts(release, collected),
        "num_incidents": len(incidents),
        "median_sentences_per_incident": {
            source: f'{statistics.median(r["num_sentences"] for r in incidents if r["source"] == source):g}'
            for source in sorted({r["source"] for r in incidents})
        },
        "num_sentences": len(sentences),
        "num_spans": len(spans),
        "num_articles": len(articles),
        "gold_incidents": sum(r["label_source"] == "gold" for r in incidents),
        "silver_incidents": sum(r["label_source"] == "silver" for r in incidents),
        "no_label_sentences": sum(not r["elements"] for r in sentences),
        "element_counts": [(e, element_counts[e]) for e in taxonomy.elements],
        "type_counts": [
            (t, type_counts[t], sentence_type_counts[t], gold_type_counts[t], gold_test_counts[t]) for t in taxonomy.type_names
        ],
        "shortfall_rule": SHORTFALL_RULE,
        "test_shortfall": [
            (t, gold_test_counts[t]) for t in taxonomy.type_names
            if gold_type_counts[t] >= SHORTFALL_RULE["release"] and gold_test_counts[t] < SHORTFALL_RULE["test"]
        ],
        "quality_flags": sorted(flags.items()),
        "duplicate_sentences": sum(r["duplicate_count"] > 1 for r in sentences),
        "machine_translated": sum(bool(r["machine_translated"]) for r in articles),
        "licences": licences(articles),
        "removed_fixes": Counter(f.split(":")[0] for r in articles for f in r["normalization_fixes"]).most_common(),
        "normalizer_version": NORMALIZER_VERSION,
        "segmenter_version": SEGMENTER_VERSION,
        "guideline_version": GUIDELINE_VERSION,
        "results": results,
        "benchmark": benchmark_facts(results),
        "quality": quality,
        "variant": variant,
        "out_of_scope": sorted((source, reason, n) for (source, reason), n in out_of_scope.items()),
        "links": collected.links if collected else [],
        "errata": yaml.safe_load((project.cards / ERRATA).read_text(encoding="utf-8")),
        "rai": load_rai(),
        "citation": cite_as(),
        "plots": PLOT_PATHS,
        "sentence_length_table": length_table(sentence_lengths(release)),
    }


def render_card(
    release: Release, num_bytes: NumBytes, quality: dict[str, Any], root: Path, variant: Any = None, collected: Any = None
) -> str:
    with using(root) as project:
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(project.cards),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        body = environment.get_template(CARD_TEMPLATE).render(**card_facts(release, quality, project, variant, collected))
        return f"---\n{header_yaml(card_header(release, num_bytes))}\n---\n\n{body}"


def header_yaml(header: dict[str, Any]) -> str:
    """The card's YAML header through huggingface_hub's DatasetCardData, the Hub's own card model."""
    from huggingface_hub import DatasetCardData

    return DatasetCardData(**header).to_yaml()


def write_card_files(
    release: Release, num_bytes: NumBytes, quality: dict[str, Any], out: Path, root: Path,
    variant: Any = None, collected: Any = None,
) -> None:
    from .croissant import write_croissant

    with using(root):
        write_plots(release, out)
        write_transfer_plot(load_results(active().results), out)
        header = card_header(release, num_bytes)
        facts = {
            "version": load_taxonomy().version,
            "license_name": header["license_name"],
            "license_details": header["license_details"],
            "date_published": load_changelog()[-1]["date"],  # the release is dated by its latest taxonomy change
            "licenses": licence_entries(release),
        }
        write_croissant(out, facts)
        (out / "README.md").write_text(render_card(release, num_bytes, quality, root, variant, collected), encoding="utf-8")
