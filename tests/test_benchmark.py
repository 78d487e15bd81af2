"""The benchmark side: gold-only scoring, spans task, per-source and transfer, errors, atomic outputs."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from privacy_incidents.baselines import (
    evaluate_baseline,
    fit,
    load_baseline,
    load_model,
    read_split,
    release_fingerprint,
    save_model,
    score_file,
)
from privacy_incidents.cli import main
from privacy_incidents.evaluate import EvaluationError, PredictionsError
from privacy_incidents.project import SeedError, SeedErrors
from privacy_incidents.metrics import bootstrap_interval, f1_from_counts, multilabel_scores
from privacy_incidents.spans import bio_tags, score_spans, spans_from_tags, tokens
from privacy_incidents.transfer import eligible_sources, run_transfer, transfer_fits

from .conftest import PROJECT_ROOT
from .synthetic import write_release

SPLITS_ONE_SOURCE = {"train": {"ocr": 12}, "validation": {"ocr": 4}, "test": {"ocr": 6}}


@pytest.fixture
def silver_release(tmp_path: Path) -> Path:
    """One source; two test incidents and one train incident are silver."""
    silver = {"test": {"ocr-test-0000", "ocr-test-0001"}, "train": {"ocr-train-0000"}}
    return write_release(tmp_path / "dataset", SPLITS_ONE_SOURCE, silver)


def test_silver_is_neither_trained_on_nor_scored(silver_release):
    result = evaluate_baseline("rules_v1", silver_release, None, transfer=False)
    test = result["scores"]["types"]["test"]
    assert test["n"] == 4 * 3 and test["incidents"] == 4  # 6 test incidents of 3 sentences, 2 silver
    assert result["release"]["sentences"]["test"] == {"gold": 12, "silver": 6}
    assert result["release"]["sentences"]["train"] == {"gold": 33, "silver": 3}
    assert "33 gold sentences of train (3 silver left out)" in result["trained_on"]
    assert result["scores"]["spans"]["test"]["incidents"] == 4


def test_score_ignores_silver_sentences(silver_release, tmp_path):
    test = read_split(silver_release, "test")
    # a perfect answer for gold sentences, nonsense for silver ones: the score stays 1.0
    lines = [{"sentence_id": i, "types": sorted(t) if s == "gold" else ["actor:unknown"]}
             for i, t, s in zip(test.sentence_ids, test.labels["types"], test.label_sources)]
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    scores = score_file(silver_release, path, "types", "test")
    assert scores["main_value"] == 1.0 and scores["n"] == 12 and "6 silver not scored" in scores["scored_on"]
    # leaving the silver sentences out is fine too; leaving a gold one out is not
    gold_only = [line for line, s in zip(lines, test.label_sources) if s == "gold"]
    path.write_text("".join(json.dumps(line) + "\n" for line in gold_only[1:]))
    with pytest.raises(PredictionsError, match="1 of 12"):
        score_file(silver_release, path, "types", "test")


def test_fingerprint_changes_with_the_release(silver_release):
    before = release_fingerprint(silver_release)
    assert before == release_fingerprint(silver_release)
    write_release(silver_release, {"test": {"ocr": 7}})
    assert release_fingerprint(silver_release) != before


# --- metrics -------------------------------------------------------------------------------------


def test_count_f1_equals_sklearn_and_bootstrap_brackets_it():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(1)
    labels = ["a", "b", "c", "d"]
    gold = [set(np.array(labels)[rng.random(4) < 0.4]) for _ in range(200)]
    pred = [set(np.array(labels)[rng.random(4) < 0.4]) | (g if rng.random() < 0.5 else set()) for g in gold]
    groups = [f"i{n // 3}" for n in range(200)]
    scores = multilabel_scores(gold, pred, labels)
    from privacy_incidents.metrics import indicator

    y, p = indicator(gold, labels), indicator(pred, labels)
    assert scores["micro_f1"] == round(f1_score(y, p, average="micro"), 4)
    tp, fp, fn = (y & p).sum(0), (p & ~y).sum(0), (y & ~p).sum(0)
    assert np.allclose(f1_from_counts(tp, fp, fn), f1_score(y, p, average=None))
    low, high = bootstrap_interval(gold, pred, groups, labels, "macro_f1")
    assert low < scores["macro_f1"] < high


def test_macro_over_all_labels_counts_absent_labels_as_they_should():
    both_absent = multilabel_scores([{"a"}], [{"a"}], ["a", "b"])
    wrongly_predicted = multilabel_scores([{"a"}], [{"a", "b"}], ["a", "b"])
    assert both_absent["macro_f1"] == 1.0 and both_absent["macro_f1_all_labels"] == 1.0
    assert wrongly_predicted["macro_f1"] == 1.0 and wrongly_predicted["macro_f1_all_labels"] == 0.5


# --- spans ---------------------------------------------------------------------------------------


def test_span_scores_exact_and_overlap():
    gold = [{(0, 5, "actor:unknown"), (10, 20, "data_accessed:health")}]
    pred = [{(0, 5, "actor:unknown"), (12, 20, "data_accessed:health"), (30, 35, "action:theft")}]
    scores = score_spans(gold, pred, ["i"], ["actor:unknown", "data_accessed:health", "action:theft"])
    assert scores["micro_precision"] == round(1 / 3, 4) and scores["micro_recall"] == 0.5
    assert scores["overlap"] == {"precision": round(2 / 3, 4), "recall": 1.0, "f1": 0.8}


def test_bio_round_trip_keeps_offsets():
    text = "Hackers stole names and Social Security numbers."
    offsets = tokens(text)
    spans = {(0, 7, "actor:criminal_hacker"), (24, 47, "data_accessed:government_id")}
    found = {(s, e, label) for s, e, label, _ in spans_from_tags(offsets, bio_tags(offsets, spans))}
    assert found == spans


def test_crf_features_are_a_tokens_own_then_its_neighbours_by_offset():
    from privacy_incidents.crf import sentence_features

    features = {"token": ["lower", "is_title"], "window": [-1, 1], "window_features": ["lower"], "bos_eos": True}
    text = "Hackers stole data"
    got = sentence_features(text, tokens(text), features)
    assert got == [
        ["lower=hackers", "is_title=1", "-1:BOS", "1:lower=stole"],
        ["lower=stole", "-1:lower=hackers", "1:lower=data"],
        ["lower=data", "-1:lower=stole", "1:EOS"],
    ]
    cache: dict = {}
    assert sentence_features(text, tokens(text), features, cache) == got == sentence_features(text, tokens(text), features, cache)
    assert sentence_features(text, tokens(text), features | {"bos_eos": False})[0] == ["lower=hackers", "is_title=1", "1:lower=stole"]


@pytest.fixture
def spans_file(silver_release, tmp_path):
    def write(records):
        path = tmp_path / "spans.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        return path

    return write


def test_perfect_spans_score_one(silver_release, spans_file):
    test = read_split(silver_release, "test").gold()
    records = [{"sentence_id": i, "spans": [{"start": s, "end": e, "element": l.split(":")[0], "type": l.split(":")[1]} for s, e, l in spans]}
               for i, spans in zip(test.sentence_ids, test.spans)]
    scores = score_file(silver_release, spans_file(records), "spans", "test")
    assert scores["main_value"] == 1.0 and scores["overlap"]["f1"] == 1.0 and scores["main_score"] == "micro_f1"


@pytest.mark.parametrize("span, message", [
    ({"start": 0, "end": 999, "element": "actor", "type": "unknown"}, "offsets 0-999 outside the sentence"),
    ({"start": 0, "end": 3, "element": "actor", "type": "health"}, "unknown type 'health' of actor"),
    ({"start": 0, "end": 3, "element": "victim", "type": "x"}, "unknown element 'victim'"),
    ({"start": "0", "end": 3, "element": "actor", "type": "unknown"}, "'start' and 'end' must be integers"),
    ({"start": 0, "end": 3}, "needs 'start', 'end', 'element' and 'type'"),
])
def test_bad_spans_are_named(silver_release, spans_file, span, message):
    test = read_split(silver_release, "test").gold()
    records = [{"sentence_id": i, "spans": []} for i in test.sentence_ids]
    records[2]["spans"] = [span]
    with pytest.raises(PredictionsError, match=f"spans.jsonl:3: span 1: {message}"):
        score_file(silver_release, spans_file(records), "spans", "test")


# --- per source and transfer ---------------------------------------------------------------------

FOUR_SOURCES = {
    "train": {"ocr": 20, "news": 10, "hibp": 10, "adba": 10, "tiny": 3},
    "validation": {"ocr": 4, "news": 4},
    "test": {"ocr": 8, "news": 6, "hibp": 6, "adba": 6, "tiny": 2},
}


def test_transfer_matrix_on_many_sources(tmp_path):
    dataset = write_release(tmp_path / "dataset", FOUR_SOURCES)
    data = {split: read_split(dataset, split).gold() for split in ("train", "validation", "test")}
    assert eligible_sources(data["test"], 6) == ["adba", "hibp", "news", "ocr"]
    spec = load_baseline("complement_nb_v1")
    protocol = {"name": "t", "version": 1, "min_test_incidents": 6, "tasks": ["elements", "types"]}
    result = run_transfer(spec, data, {"elements": {"alpha": 0.3}, "types": {"alpha": 0.3}}, protocol=protocol)
    assert set(result["leave_one_out"]) == {"adba", "hibp", "news", "ocr"}
    held = result["leave_one_out"]["news"]["types"]
    assert held["train_sentences"] == 3 * (20 + 10 + 10 + 3) and held["test_incidents"] == 6
    assert set(result["alone"]) == {"adba", "hibp", "news", "ocr"}
    assert all(set(row) == {"adba", "hibp", "news", "ocr"} for row in result["alone"].values())
    assert result["alone"]["ocr"]["news"]["types"]["train_sentences"] == 60
    # A baseline the protocol skips is not fitted at all, and its results say why.
    skipping = {**protocol, "skip": {"complement_nb_v1": "too slow for this test"}}
    assert transfer_fits(spec, data, skipping) == []
    assert run_transfer(spec, data, {}, protocol=skipping) == {"protocol": "t", "version": 1, "skipped": "too slow for this test"}


def test_per_source_scores_are_reported(tmp_path):
    dataset = write_release(tmp_path / "dataset", {"train": {"ocr": 8}, "validation": {"ocr": 2}, "test": {"ocr": 4, "news": 3}})
    result = evaluate_baseline("rules_v1", dataset, None, transfer=False)
    by_source = result["scores"]["types"]["test"]["by_source"]
    assert set(by_source) == {"news", "ocr"} and by_source["news"]["incidents"] == 3 and by_source["ocr"]["n"] == 12
    assert "overlap" in result["scores"]["spans"]["test"]["by_source"]["news"]


# --- models, predict, errors ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tfidf_svm_v1", "char_svm_v1"])
def test_one_model_file_predicts_like_the_fitted_model(silver_release, tmp_path, name):
    from privacy_incidents.tfidf import Tfidf

    data = {s: read_split(silver_release, s).gold() for s in ("train", "validation", "test")}
    model = fit(load_baseline(name), data["train"], data["validation"])
    models = tmp_path / "models"
    path = save_model(model, models)
    assert sorted(p.name for p in models.iterdir()) == [f"{name}.npz"]  # one file, nothing left half-written
    loaded = load_model(name, models)
    assert isinstance(loaded.vectorizer, Tfidf)  # scikit-learn's fitted vectoriser, rebuilt without it
    assert loaded.predict(data["test"].texts) == model.predict(data["test"].texts)
    path.write_bytes(b"not a model")
    with pytest.raises(EvaluationError, match="cannot load"):
        load_model(name, models)


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def root_with_models(silver_release, tmp_path):
    root = silver_release.parent
    # A project around the synthetic release: the taxonomy and the baseline definitions of this clone.
    (root / "schemas").symlink_to(PROJECT_ROOT / "schemas")
    (root / "baselines").mkdir()
    for spec in (PROJECT_ROOT / "baselines").glob("*.yaml"):
        (root / "baselines" / spec.name).symlink_to(spec)
    data = {s: read_split(silver_release, s).gold() for s in ("train", "validation")}
    save_model(fit(load_baseline("complement_nb_v1"), data["train"], data["validation"]), root / "baselines" / "models")
    return root


def test_predict_reads_sentence_id_from_release_parquet(root_with_models, tmp_path, capsys):
    parquet = root_with_models / "dataset" / "sentences" / "test-00000-of-00001.parquet"
    out = tmp_path / "p.jsonl"
    code, stdout, _ = run(capsys, "--root", str(root_with_models), "predict", "--baseline", "complement_nb_v1", "--input", str(parquet), "--output", str(out))
    assert code == 0 and "column 'sentence_id'" in stdout
    first = json.loads(out.read_text().splitlines()[0])
    assert first["sentence_id"] == read_split(root_with_models / "dataset", "test").sentence_ids[0]


def test_predict_keeps_a_line_separator_inside_a_json_string(root_with_models, tmp_path, capsys):
    # U+2028 is valid inside a JSON string (json.dumps with ensure_ascii=False writes it raw).
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": "Names were\u2028stolen."}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "p.jsonl"
    code, _, err = run(capsys, "--root", str(root_with_models), "predict", "--baseline", "complement_nb_v1", "--input", str(source), "--output", str(out))
    assert code == 0, err
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").split("\n") if line] == ["a"]


@pytest.mark.parametrize("baseline", ["complement_nb_v1", "rules_v1"])
def test_predict_in_forked_slices_writes_what_one_process_writes(root_with_models, tmp_path, capsys, monkeypatch, baseline):
    from privacy_incidents import parallel, predict

    test = read_split(root_with_models / "dataset", "test")
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in zip(test.sentence_ids, test.texts)))
    monkeypatch.setattr(predict, "LEAST_PER_CORE", 1)
    written = []
    for workers in (1, 3):
        monkeypatch.setattr(parallel, "cores", lambda: workers)
        out = tmp_path / f"p{workers}.jsonl"
        assert run(capsys, "--root", str(root_with_models), "predict", "--baseline", baseline, "--input", str(source), "--output", str(out))[0] == 0
        written.append(out.read_text())
    assert written[0] == written[1]
    assert [json.loads(line)["id"] for line in written[1].splitlines()] == test.sentence_ids


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")
def test_map_slices_runs_each_slice_in_a_forked_worker_and_keeps_the_order(monkeypatch):
    import os

    from privacy_incidents import parallel

    monkeypatch.setattr(parallel, "cores", lambda: 3)
    data = list(range(10))  # read by the workers without being sent to them
    results = parallel.map_slices(lambda part: (os.getpid(), data[part]), len(data), least=2)
    assert [x for _, part in results for x in part] == data
    assert len(results) == 3 and os.getpid() not in {pid for pid, _ in results}
    assert parallel.map_slices(lambda part: data[part], len(data), least=6) == [data]  # too few to split: run here


def test_map_forked_raises_the_first_failure_in_order(monkeypatch):
    from privacy_incidents import parallel

    def check(item: int) -> int:
        if item % 2 == 0:
            raise EvaluationError(f"item {item} failed")
        return item

    monkeypatch.setattr(parallel, "cores", lambda: 2)
    assert parallel.map_forked(check, [1, 3, 5]) == [1, 3, 5]
    with pytest.raises(EvaluationError, match="item 2 failed"):
        parallel.map_forked(check, [1, 2, 3, 4])
    with pytest.raises(SeedErrors) as raised:  # an error that carries a list arrives whole
        parallel.map_forked(_two_seed_errors, [1, 2])
    assert [str(e) for e in raised.value.errors] == ["a.yaml:3: bad", "b.yaml: worse"]


def _two_seed_errors(_: int) -> None:
    raise SeedErrors([SeedError(Path("a.yaml"), "bad", 3), SeedError(Path("b.yaml"), "worse")])


def test_map_forked_runs_in_process_inside_a_pool_worker(monkeypatch):
    import os

    from privacy_incidents import parallel

    monkeypatch.setattr(parallel, "cores", lambda: 2)
    nested = parallel.map_forked(lambda _: set(parallel.map_forked(lambda _: os.getpid(), [1, 2])), [1, 2])
    assert all(len(pids) == 1 for pids in nested)  # each worker ran its two items itself


def test_evaluate_all_side_by_side_writes_what_one_process_writes(root_with_models, capsys, monkeypatch):
    from privacy_incidents import parallel

    results = root_with_models / "baselines" / "results"
    written = []
    for workers in (1, 2):
        monkeypatch.setattr(parallel, "cores", lambda: workers)
        assert run(capsys, "--root", str(root_with_models), "evaluate", "--all")[0] == 0
        written.append({p.name: p.read_bytes() for p in sorted(results.glob("*.json"))})
    assert written[0] == written[1] and len(written[1]) == len(list((root_with_models / "baselines").glob("*_v1.yaml")))


@pytest.mark.parametrize("case", ["missing folder", "empty input"])
def test_predict_errors_are_messages(root_with_models, tmp_path, capsys, case):
    source = tmp_path / "in.jsonl"
    source.write_text("" if case == "empty input" else '{"text": "A laptop was stolen."}\n')
    out = tmp_path / ("no-such-folder/p.jsonl" if case == "missing folder" else "p.jsonl")
    code, _, err = run(capsys, "--root", str(root_with_models), "predict", "--baseline", "complement_nb_v1", "--input", str(source), "--output", str(out))
    assert code == 1 and err.startswith("error: ") and ("does not exist" in err if case == "missing folder" else "no sentences" in err)
    assert not out.exists()


def test_predict_without_a_fitted_model_names_the_command(project, tmp_path, capsys):
    shutil.rmtree(project / "baselines" / "models", ignore_errors=True)  # nothing fitted in this copy
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "x"}\n')
    code, _, err = run(capsys, "--root", str(project), "predict", "--baseline", "tfidf_svm_v1", "--input", str(source), "--output", str(tmp_path / "o.jsonl"))
    assert code == 1 and "privacy-incidents evaluate --baseline tfidf_svm_v1" in err


def test_evaluate_refuses_the_tasks_file(capsys):
    code, _, err = run(capsys, "evaluate", "--baseline", "tasks")
    assert code == 1 and "no baseline 'tasks'" in err and "rules_v1" in err


def test_score_outside_a_project_is_a_message(tmp_path, capsys):
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("")
    code, _, err = run(capsys, "--root", str(tmp_path), "score", "--predictions", str(predictions))
    assert code == 1 and err.startswith("error: ") and "not a privacy-incidents project" in err


PAGE = """<!doctype html><html><head><title>Clinic fires nurse</title></head><body><nav>Home | News</nav><article>
<h1>Clinic fires nurse who snooped on records</h1>
<p>A nurse at Example Clinic viewed the medical records of 300 patients, the clinic said on Monday.</p>
<p>The clinic fired the employee and notified the affected individuals.</p></article><footer>(c) Example News</footer></body></html>
"""


def _results(root: Path, name: str, types: float, spans: float | None) -> None:
    scores = {"types": {"test": {"main_value": types}}} | ({"spans": {"test": {"main_value": spans}}} if spans is not None else {})
    (root / "baselines" / "results").mkdir(parents=True, exist_ok=True)
    (root / "baselines" / "results" / f"{name}.json").write_text(json.dumps({"baseline": name, "scores": scores}))


def test_extract_a_saved_page_with_exact_offsets(root_with_models, tmp_path, capsys):
    _results(root_with_models, "complement_nb_v1", 0.6, None)
    _results(root_with_models, "rules_v1", 0.4, 0.5)
    page = tmp_path / "page.html"
    page.write_text(PAGE)
    out = tmp_path / "record.json"
    code, _, err = run(capsys, "--root", str(root_with_models), "extract", str(page), "--output", str(out))
    assert code == 0, err
    record = json.loads(out.read_text())
    assert record["baselines"] == {"sentences": "complement_nb_v1", "spans": "rules_v1"}
    assert "<nav>" not in record["text"] and "Home | News" not in record["text"]
    assert all(record["text"][s["start"]:s["end"]] == s["text"] for s in record["sentences"] + record["spans"])
    found = {(s["text"], s["element"], s["type"]) for s in record["spans"]}
    assert ("nurse", "actor", "insider_employee") in found and ("medical records", "data_accessed", "health") in found


def test_extract_without_fitted_models_names_the_command(root_with_models, tmp_path, capsys):
    _results(root_with_models, "tfidf_svm_v1", 0.6, None)
    _results(root_with_models, "rules_v1", 0.4, 0.5)
    page = tmp_path / "page.md"
    page.write_text("A nurse viewed the records.\n")
    code, _, err = run(capsys, "--root", str(root_with_models), "extract", str(page))
    assert code == 1 and "privacy-incidents evaluate --baseline tfidf_svm_v1" in err


def test_a_source_with_gold_test_but_no_gold_train_is_held_out_but_not_fitted_alone(tmp_path):
    # As after the first annotations of a new source: its validation and test are gold, its train is not.
    splits = {"train": {"ocr": 20}, "validation": {"ocr": 4, "hibp": 4}, "test": {"ocr": 6, "hibp": 6}}
    dataset = write_release(tmp_path / "dataset", splits)
    data = {split: read_split(dataset, split).gold() for split in ("train", "validation", "test")}
    protocol = {"name": "t", "version": 1, "min_test_incidents": 6, "tasks": ["types"]}
    chosen = {"elements": {"alpha": 0.3}, "types": {"alpha": 0.3}}
    result = run_transfer(load_baseline("complement_nb_v1"), data, chosen, protocol=protocol)
    assert result["eligible_sources"] == ["hibp", "ocr"]
    assert result["alone"]["hibp"] is None and result["alone"]["ocr"]["hibp"]["types"]["test_incidents"] == 6
    assert result["leave_one_out"]["hibp"]["types"]["train_sentences"] == 3 * 20
