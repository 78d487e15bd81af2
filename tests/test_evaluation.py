"""Baselines and the scorer: committed results reproduce, predict + score match evaluate, bad files fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from privacy_incidents.baselines import baseline_names, evaluate_baseline, load_model, read_split
from privacy_incidents.cli import main
from privacy_incidents.metrics import multilabel_scores

from .conftest import PROJECT_ROOT

DATASET = PROJECT_ROOT / "dataset"
RESULTS = PROJECT_ROOT / "baselines" / "results"


def test_every_baseline_has_committed_results():
    assert sorted(p.stem for p in RESULTS.glob("*.json")) == baseline_names()


@pytest.mark.parametrize("name", ["majority_v1", "rules_v1", "complement_nb_v1"])
def test_evaluate_reproduces_the_committed_results(name, tmp_path):
    fresh = json.loads(json.dumps(evaluate_baseline(name, DATASET, tmp_path)))
    assert fresh == json.loads((RESULTS / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def fitted_models(tmp_path_factory):
    models = tmp_path_factory.mktemp("models")
    result = evaluate_baseline("complement_nb_v1", DATASET, models)
    return models, result


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("task", ["elements", "types"])
def test_predict_then_score_reproduces_evaluate(fitted_models, tmp_path, capsys, task):
    models, result = fitted_models
    test = read_split(DATASET, "test")
    texts = write_jsonl(tmp_path / "in.jsonl", [{"id": i, "text": t} for i, t in zip(test.sentence_ids, test.texts)])
    root = tmp_path / "root"
    (root / "baselines").mkdir(parents=True)
    (root / "baselines" / "models").symlink_to(models)
    for name in ("tasks.yaml", "complement_nb_v1.yaml"):
        (root / "baselines" / name).symlink_to(PROJECT_ROOT / "baselines" / name)
    (root / "schemas").symlink_to(PROJECT_ROOT / "schemas")
    (root / "dataset").symlink_to(DATASET)
    preds = tmp_path / "preds.jsonl"
    assert main(["--root", str(root), "predict", "--baseline", "complement_nb_v1", "--input", str(texts), "--output", str(preds)]) == 0
    capsys.readouterr()
    assert main(["--root", str(root), "score", "--predictions", str(preds), "--task", task]) == 0
    scored = json.loads(capsys.readouterr().out)
    expected = result["scores"][task]["test"]
    assert (scored["main_value"], scored["ci95"], scored["micro_f1"]) == (expected["main_value"], expected["ci95"], expected["micro_f1"])


def test_models_load_from_their_file(fitted_models):
    models, _ = fitted_models
    model = load_model("complement_nb_v1", models)
    assert model.predict(["The laptop was stolen from the employee's car."])["types"][0]


@pytest.fixture
def test_ids():
    """The sentences a predictions file must cover: the gold ones (silver is never scored)."""
    return read_split(DATASET, "test").gold().sentence_ids


def score_file(path: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["--root", str(PROJECT_ROOT), "score", "--predictions", str(path), *extra])
    return code, capsys.readouterr().err


def test_perfect_predictions_score_one(tmp_path, capsys):
    test = read_split(DATASET, "test")
    path = write_jsonl(tmp_path / "p.jsonl", [{"sentence_id": i, "elements": sorted(e)} for i, e in zip(test.sentence_ids, test.labels["elements"])])
    assert main(["--root", str(PROJECT_ROOT), "score", "--predictions", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["main_value"] == 1.0


def test_malformed_line_is_named(tmp_path, capsys, test_ids):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"sentence_id": test_ids[0], "elements": []}) + "\n{not json\n")
    code, err = score_file(path, capsys)
    assert code == 1 and "p.jsonl:2: not valid JSON" in err


def test_partial_predictions_are_refused(tmp_path, capsys, test_ids):
    path = write_jsonl(tmp_path / "p.jsonl", [{"sentence_id": i, "elements": []} for i in test_ids[:-2]])
    code, err = score_file(path, capsys)
    assert code == 1 and "2 of" in err and "have no prediction" in err


def test_unknown_label_lists_the_valid_ones(tmp_path, capsys, test_ids):
    path = write_jsonl(tmp_path / "p.jsonl", [{"sentence_id": i, "elements": ["victim"]} for i in test_ids])
    code, err = score_file(path, capsys)
    assert code == 1 and "'victim'" in err and "data_accessed" in err


def test_ids_from_another_split_are_refused(tmp_path, capsys, test_ids):
    path = write_jsonl(tmp_path / "p.jsonl", [{"sentence_id": "not-a-sentence", "elements": []}])
    code, err = score_file(path, capsys)
    assert code == 1 and "not in the scored split" in err


def test_duplicate_predictions_are_refused(tmp_path, capsys, test_ids):
    path = write_jsonl(tmp_path / "p.jsonl", [{"sentence_id": test_ids[0], "elements": []}] * 2)
    code, err = score_file(path, capsys)
    assert code == 1 and "predicted twice" in err


def test_macro_f1_ignores_labels_absent_from_gold():
    scores = multilabel_scores([{"a"}], [{"a"}], ["a", "b"])
    assert scores["macro_f1"] == 1.0 and scores["labels_with_support"] == 1
