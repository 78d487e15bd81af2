"""The committed release: loads with `load_dataset`, offsets exact, card in step with the rows."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
import yaml
from datasets import ClassLabel, load_dataset

from .conftest import PROJECT_ROOT
from privacy_incidents.build import parquet_path
from privacy_incidents.schema import CONFIGS, SPLITS, load_taxonomy, release_features

DATASET = PROJECT_ROOT / "dataset"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    cache = tmp_path_factory.mktemp("hf-cache")
    return {config: load_dataset(str(DATASET), config, cache_dir=str(cache)) for config in CONFIGS}


@pytest.fixture(scope="module")
def card_yaml():
    text = (DATASET / "README.md").read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1])


@pytest.mark.parametrize("config", CONFIGS)
def test_every_config_loads_offline_with_its_features(loaded, config):
    dataset = loaded[config]
    assert set(dataset) == set(SPLITS)
    assert dataset["train"].features == release_features()[config]


def test_default_config_is_sentences(tmp_path):
    dataset = load_dataset(str(DATASET), cache_dir=str(tmp_path))
    assert "types" in dataset["train"].features
    names = dataset["train"].features["types"].feature.names
    assert names == list(load_taxonomy().type_names)


def test_class_labels_survive_the_round_trip(loaded):
    features = loaded["spans"]["test"].features
    assert isinstance(features["element"], ClassLabel)
    assert features["element"].names == list(load_taxonomy().elements)
    assert isinstance(loaded["sentences"]["test"].features["label_source"], ClassLabel)


@pytest.mark.parametrize("config", CONFIGS)
def test_features_are_embedded_in_the_parquet(config):
    for split in SPLITS:
        schema = pq.read_schema(DATASET / parquet_path(config, split))
        assert b"huggingface" in schema.metadata


def test_card_split_sizes_match_the_rows(loaded, card_yaml):
    for info in card_yaml["dataset_info"]:
        sizes = {s["name"]: s["num_examples"] for s in info["splits"]}
        assert sizes == {split: len(loaded[info["config_name"]][split]) for split in SPLITS}


def _articles(loaded):
    return {row["article_id"]: row["text"] for split in SPLITS for row in loaded["articles"][split]}


def test_every_span_text_is_the_article_text_at_its_offsets(loaded):
    texts = _articles(loaded)
    count = 0
    for split in SPLITS:
        for row in loaded["spans"][split]:
            assert texts[row["article_id"]][row["start"] : row["end"]] == row["text"], row["span_id"]
            count += 1
    assert count > 1000


def test_every_sentence_text_is_the_article_text_at_its_offsets(loaded):
    texts = _articles(loaded)
    for split in SPLITS:
        for row in loaded["sentences"][split]:
            assert texts[row["article_id"]][row["start"] : row["end"]] == row["text"], row["sentence_id"]


def test_sentence_labels_are_the_labels_of_their_spans(loaded):
    types = loaded["spans"]["train"].features["type"]
    by_sentence = {}
    for row in loaded["spans"]["train"]:
        by_sentence.setdefault(row["sentence_id"], set()).add(types.int2str(row["type"]))
    sentence_types = loaded["sentences"]["train"].features["types"].feature
    for row in loaded["sentences"]["train"]:
        assert {sentence_types.int2str(t) for t in row["types"]} == by_sentence.get(row["sentence_id"], set())


def test_no_incident_is_on_two_sides_of_a_split(loaded):
    seen = {}
    for split in SPLITS:
        for row in loaded["incidents"][split]:
            group = row["duplicate_of"] or row["incident_id"]
            assert seen.setdefault(group, split) == split, group


def test_published_split_lists_match_the_incidents(loaded):
    for split in SPLITS:
        listed = (DATASET / "splits" / f"{split}.txt").read_text().split()
        assert listed == sorted(row["incident_id"] for row in loaded["incidents"][split])


def test_seed_articles_carry_licence_and_provenance(loaded):
    articles = {row["article_id"]: row for split in SPLITS for row in loaded["articles"][split]}
    afp = articles["002_9ed64316b2d10b74"]
    assert afp["redistributable"] is False
    assert afp["url"].startswith("https://techxplore.com/")
    assert articles["000_8076d5bb2484816b"]["machine_translated"] is True
    assert articles["hhs-ocr-0001"]["license"] == "public-domain-us-gov"
