"""cards/ templates + computed facts -> dataset/README.md (the card with its YAML header).

The YAML header is what ``load_dataset`` reads: configs, features and split sizes, all
derived from ``schemas/labels.yaml`` and the rows just built. Never edit the output by hand.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import jinja2
import yaml

from .benchmark_card import benchmark_facts, load_results, write_transfer_plot
from .croissant import cite_as, load_rai
from .normalize import NORMALIZER_VERSION
from .plots import PLOT_PATHS, length_table, sentence_lengths, write_plots
from .schema import CONFIGS, DEFAULT_CONFIG, GUIDELINE_VERSION, SPLITS, load_changelog, load_taxonomy, release_features
from .segment import SEGMENTER_VERSION

CARD_TEMPLATE = Path("cards") / "dataset-card.md.j2"
ERRATA = Path("cards") / "errata.yaml"
RAI_FILE = Path("cards") / "rai.yaml"
RESULTS_DIR = Path("baselines") / "results"


Release = dict[str, dict[str, list[dict[str, Any]]]]
NumBytes = dict[tuple[str, str], int]


def dataset_info_yaml(release: Release, num_bytes: NumBytes) -> list[dict[str, Any]]:
    import datasets

    from .build import splits_with_rows

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


def card_header(release: Release, num_bytes: NumBytes) -> dict[str, Any]:
    from .build import parquet_path, splits_with_rows

    total_sentences = sum(len(release["sentences"][s]) for s in SPLITS)
    return {
        "pretty_name": "privacy-incidents",
        "license": "other",
        "license_name": "mixed-public-domain-and-copyrighted",
        "license_details": (
            "HHS OCR narratives: public domain (US federal government works, 17 U.S.C. § 105). "
            "News seed articles: copyright of their publishers, included for research and not "
            "redistributable (articles.redistributable = false)."
        ),
        "language": ["en"],
        "task_categories": ["text-classification", "token-classification"],
        "task_ids": ["multi-label-classification", "named-entity-recognition"],
        "size_categories": ["1K<n<10K" if total_sentences < 10_000 else "10K<n<100K"],
        "source_datasets": ["original"],
        "annotations_creators": ["expert-generated", "machine-generated"],
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


def card_facts(
    release: Release, quality: dict[str, Any], root: Path, left_out: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Every number the card shows, computed from the rows; ``left_out`` is set for the redistributable variant."""
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
    per_source = Counter((r["source"], r["label_source"]) for r in incidents)
    element_counts = Counter(e for r in sentences for e in r["elements"])
    type_counts = Counter(r["type"] for r in spans)
    sentence_type_counts = Counter(t for r in sentences for t in r["types"])
    flags = Counter(f for r in sentences for f in r["quality_flags"])
    results = []
    results_dir = root / RESULTS_DIR
    for path in sorted(results_dir.glob("*.json")) if results_dir.exists() else []:
        results.append(json.loads(path.read_text(encoding="utf-8")))
    return {
        "taxonomy": taxonomy,
        "changelog": load_changelog(root / "schemas" / "labels.yaml"),
        "per_split": per_split,
        "per_source": sorted((src, status, n) for (src, status), n in per_source.items()),
        "num_incidents": len(incidents),
        "median_sentences_per_incident": {
            source: f'{statistics.median(r["num_sentences"] for r in incidents if r["source"] == source):g}'
            for source in sorted({r["source"] for r in incidents})
        },
        "num_sentences": len(sentences),
        "num_spans": len(spans),
        "num_articles": len(articles),
        "no_label_sentences": sum(not r["elements"] for r in sentences),
        "element_counts": [(e, element_counts[e]) for e in taxonomy.elements],
        "type_counts": [(t, type_counts[t], sentence_type_counts[t]) for t in taxonomy.type_names],
        "quality_flags": sorted(flags.items()),
        "duplicate_sentences": sum(r["duplicate_count"] > 1 for r in sentences),
        "news_articles": [r for r in articles if not r["article_id"].startswith("hhs-ocr-")],
        "hhs_articles": sum(r["article_id"].startswith("hhs-ocr-") for r in articles),
        "removed_fixes": Counter(f.split(":")[0] for r in articles for f in r["normalization_fixes"]).most_common(),
        "normalizer_version": NORMALIZER_VERSION,
        "segmenter_version": SEGMENTER_VERSION,
        "guideline_version": GUIDELINE_VERSION,
        "results": results,
        "benchmark": benchmark_facts(results),
        "quality": quality,
        "left_out": left_out,
        "errata": yaml.safe_load((root / ERRATA).read_text(encoding="utf-8")),
        "rai": load_rai(root / RAI_FILE),
        "citation": cite_as(),
        "plots": PLOT_PATHS,
        "sentence_length_table": length_table(sentence_lengths(release)),
    }


def render_card(
    release: Release, num_bytes: NumBytes, quality: dict[str, Any], root: Path, left_out: list[dict[str, Any]] | None = None
) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(root / CARD_TEMPLATE.parent),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    body = environment.get_template(CARD_TEMPLATE.name).render(**card_facts(release, quality, root, left_out))
    header = yaml.safe_dump(card_header(release, num_bytes), sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{header}---\n\n{body}"


def write_card_files(
    release: Release, num_bytes: NumBytes, quality: dict[str, Any], out: Path, root: Path,
    left_out: list[dict[str, Any]] | None = None,
) -> None:
    from .croissant import write_croissant

    write_plots(release, out)
    write_transfer_plot(load_results(root / RESULTS_DIR), out)
    header = card_header(release, num_bytes)
    changelog = load_changelog(root / "schemas" / "labels.yaml")
    facts = {
        "version": load_taxonomy().version,
        "license_name": header["license_name"],
        "license_details": header["license_details"],
        "date_published": changelog[-1]["date"],  # the release is dated by its latest taxonomy change
    }
    write_croissant(out, facts, rai_path=root / RAI_FILE)
    (out / "README.md").write_text(render_card(release, num_bytes, quality, root, left_out), encoding="utf-8")
