"""``privacy-incidents <verb>``: thin handlers over the stage functions.

The parser is built in one function; each verb is one small function with examples in its help.
Run inside a project (a clone: the folder holding ``schemas/labels.yaml``, or any folder below
it), or pass ``--root``. Every known failure is a ``UserError``: ``main`` prints it as
``error: ...`` and returns 1, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .project import SeedError, SeedErrors, UserError, using  # light: predict must not import pydantic


def _date(value: str) -> str:
    import datetime as dt

    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2024-03-01") from None


def _root(args: argparse.Namespace) -> Path:
    return args.project.root


def _report(errors: SeedError | SeedErrors | list[SeedError]) -> int:
    listed = errors.errors if isinstance(errors, SeedErrors) else [errors] if isinstance(errors, SeedError) else errors
    for error in listed:
        print(f"error: {error}", file=sys.stderr)
    print(f"{len(listed)} problem(s) found; nothing was written.", file=sys.stderr)
    return 1


def _under(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def cmd_validate(args: argparse.Namespace) -> int:
    from .build import collect, log, make_rows, quality_report

    root = _root(args)
    target = Path(args.path) if args.path else None
    if target and not target.exists():
        print(f"error: {target}: no such file or folder; give an incident folder or a seed file", file=sys.stderr)
        return 1
    if args.fix:
        from .fixes import fix_project

        for note in fix_project(root, only=target):
            log(f"fixed: {note}")
    try:
        collected = collect(root, log)
        make_rows(collected.incidents, collected.links)
        quality_report(collected.incidents, collected.agreement)
    except (SeedError, SeedErrors) as error:
        errors = [error] if isinstance(error, SeedError) else error.errors
        # The whole project is checked (ids and texts must be unique); with PATH only its problems are shown.
        mine = [e for e in errors if _under(e.path, target)] if target else errors
        if mine:
            return _report(mine)
        print(f"ok: no problems in {target}; {len(errors)} elsewhere in the project (run validate without a path)")
        return 0
    for warning in collected.warnings:
        log(f"warning: {warning}")
    for incident in collected.incidents:
        if incident.summary.startswith("TODO"):
            log(f"warning: incident {incident.incident_id}: the summary is still a TODO")
    silver = sum(incident.annotations.status == "silver" for incident in collected.incidents)
    checked = f" ({target} checked)" if target else ""
    print(
        f"ok: {len(collected.incidents)} incidents valid{checked}"
        + (f"; {silver} silver (suggested, not read)" if silver else "")
        + (f"; {len(collected.out_of_scope)} documents out of scope" if collected.out_of_scope else "")
    )
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from .build import VARIANTS, build_to, log, stale_files, stale_schemas, write_json_schemas

    root = _root(args)
    variant = VARIANTS[args.variant] if args.variant else None
    if variant and not args.out:
        print(f"error: --{args.variant}-only needs --out DIR: dataset/ is the full release", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else root / "dataset"
    if args.check:
        with tempfile.TemporaryDirectory() as scratch:
            fresh = Path(scratch) / "dataset"
            build_to(root, fresh, log, variant)
            stale = stale_files(fresh, out) + stale_schemas(root)
        if stale:
            print(f"{out} is stale; run `privacy-incidents build`{' with the same options' if variant else ''}. Differing files:", file=sys.stderr)
            for name in stale:
                print(f"  {name}", file=sys.stderr)
            return 1
        print(f"ok: {out} is up to date")
        return 0
    summary = build_to(root, out, log, variant)
    if variant is None and out.resolve() == (root / "dataset").resolve():
        write_json_schemas(root)  # the schemas belong with the full release, not with a scratch build
    print(f"built {out}: incidents {summary['incidents']}, sentences {summary['sentences']}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    import time

    from .baselines import baseline_names, evaluate_baseline, gold_splits, load_baseline, write_results
    from .build import log
    from .parallel import map_forked
    from .transfer import fit_cost, transfer_cells, transfer_fits, transfer_result

    root = _root(args)
    dataset, results = root / "dataset", root / "baselines" / "results"
    names = baseline_names(root / "baselines") if args.all else [args.baseline]
    # Two rounds over the cores: each baseline's own fit and scores, then every transfer fit of
    # every baseline (independent once the parameters are chosen), the costliest first, so one
    # long baseline (the CRF) does not leave a core idle. No such baseline, no release, a split
    # missing: an EvaluationError, shown by main.
    started = time.perf_counter()
    evaluated = dict(zip(names, map_forked(lambda name: evaluate_baseline(name, dataset, root / "baselines" / "models", transfer=False), names)))
    log(f"fitted and scored {len(names)} baseline(s) in {time.perf_counter() - started:.1f} s")
    _, data = gold_splits(dataset)
    specs = {name: load_baseline(name) for name in names}
    fits = [(name, key) for name in names for key in transfer_fits(specs[name], data)]
    fits.sort(key=lambda fit: -fit_cost(specs[fit[0]], data, fit[1]))
    started = time.perf_counter()
    cells = map_forked(lambda fit: transfer_cells(specs[fit[0]], data, evaluated[fit[0]]["chosen_parameters"], fit[1]), fits)
    log(f"ran {len(fits)} transfer fits in {time.perf_counter() - started:.1f} s")
    by_fit = dict(zip(fits, cells))
    for name in names:
        result = evaluated[name]
        result["transfer"] = transfer_result(specs[name], data, {key: by_fit[name, key] for key in transfer_fits(specs[name], data)})
        path = write_results(result, results)
        main_scores = {task: by_split["test"]["main_value"] for task, by_split in result["scores"].items()}
        log(f"{name}: test " + ", ".join(f"{task} {value:.3f}" for task, value in main_scores.items()) + f" -> {path}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from .baselines import load_model
    from .predict import predict_file

    model = load_model(args.baseline, _root(args) / "baselines" / "models")
    count, id_source = predict_file(model, Path(args.input), Path(args.output))
    print(f"wrote {count} predictions to {args.output} (ids from {id_source})")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    import json

    from .baselines import score_file

    scores = score_file(_root(args) / "dataset", Path(args.predictions), args.task, args.split)
    keys = ("main_score", "main_value", "ci95", "macro_f1", "macro_f1_all_labels", "micro_f1", "overlap", "n", "incidents", "scored_on")
    print(json.dumps(scores if args.full else {k: scores[k] for k in keys if k in scores}, indent=1))
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    import json

    from .extract import extract_file

    record = extract_file(_root(args), Path(args.article))
    text = json.dumps(record, indent=1, ensure_ascii=False) + "\n"
    if args.output:
        from .atomic import write_atomic

        out = Path(args.output)
        if not out.parent.is_dir():
            print(f"error: {out}: the folder {out.parent} does not exist", file=sys.stderr)
            return 1
        write_atomic(out, text)
        print(f"wrote {out}: {len(record['sentences'])} sentences, {len(record['spans'])} spans")
    else:
        sys.stdout.write(text)
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    import json

    from .extend import read_source
    from .suggest import load_rules, suggest_spans

    text = read_source(Path(args.file)).normalized
    for span in suggest_spans(text, load_rules()):
        print(json.dumps({"start": span.start, "end": span.end, "quote": text[span.start : span.end], "element": span.element, "type": span.type}))
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from .extend import add_incident, incidents_folder, next_steps

    options = {
        "title": args.title, "publisher": args.publisher, "url": args.url, "published": args.published,
        "retrieved": args.retrieved, "language": args.language, "license": args.license,
        "redistributable": args.redistributable, "summary": args.summary, "date": args.date,
        "incident_title": args.incident_title,
    }
    try:
        addition = add_incident(_root(args), args.incident_id, Path(args.source_file), options, add_article=args.add_article)
    except SeedError as error:
        print(f"error: {error}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return 1
    except SeedErrors as errors:
        print("error: the project has problems; fix them first (privacy-incidents validate):", file=sys.stderr)
        return _report(errors)
    print(next_steps(args.incident_id, addition, incidents_folder(args.project).relative_to(args.project.root)))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .labelstudio import config_path, export_label_studio

    out = Path(args.out)
    try:
        count = export_label_studio(_root(args), out, args.incident or None)
    except (SeedError, SeedErrors) as error:
        return _report(error)
    print(f"wrote {count} Label Studio task(s) to {out} and the labelling config to {config_path(out)}")
    print("in Label Studio: create a project, paste the config under Settings > Labeling Interface, import the tasks;")
    print("review every article, then export as JSON and run: privacy-incidents import label-studio EXPORT.json --reviewer 'Your Name'")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .labelstudio import import_label_studio

    try:
        written = import_label_studio(_root(args), Path(args.export), args.reviewer, args.annotator)
    except (SeedError, SeedErrors) as error:
        return _report(error)
    for path in written:
        print(f"wrote {path} (gold, reviewed by {args.reviewer})")
    print("next: privacy-incidents validate && privacy-incidents build")
    return 0


EXAMPLES = {
    "validate": (
        "examples:\n  privacy-incidents validate\n  privacy-incidents validate seeds/incidents/clinic-snooping-2024\n"
        "  privacy-incidents validate --fix\n  privacy-incidents --root path/to/clone validate"
    ),
    "build": (
        "examples:\n  privacy-incidents build              # seeds/ -> dataset/\n"
        "  privacy-incidents build --check      # exit 1 when dataset/ is stale\n"
        "  privacy-incidents build --out /tmp/release\n"
        "  privacy-incidents build --redistributable-only --out hub-release   # what may be pushed to the Hub"
    ),
    "evaluate": "examples:\n  privacy-incidents evaluate --all\n  privacy-incidents evaluate --baseline tfidf_svm_v1",
    "predict": (
        "examples:\n  privacy-incidents predict --baseline tfidf_svm_v1 --input my.jsonl --output preds.jsonl\n"
        "  (my.jsonl: one {\"id\": ..., \"text\": ...} a line; or a Parquet file with a text column)"
    ),
    "score": (
        "examples:\n  privacy-incidents score --predictions preds.jsonl                 # task elements, split test\n"
        "  privacy-incidents score --predictions preds.jsonl --task types --split validation\n"
        "predictions: one JSON object a line, {\"sentence_id\": ..., \"elements\": [...]} or \"types\": [...];\n"
        "for --task incident: {\"incident_id\": ..., \"types\": [...]}; for --task spans: {\"sentence_id\": ...,\n"
        "\"spans\": [{\"start\": 0, \"end\": 5, \"element\": \"actor\", \"type\": \"insider_employee\"}]} (offsets into the sentence).\n"
        "Every gold item of the split must appear once; silver sentences may appear and are not scored."
    ),
    "extract": "examples:\n  privacy-incidents extract saved-page.html --output record.json\n  privacy-incidents extract article.md",
    "suggest": "examples:\n  privacy-incidents suggest article.txt     # one JSON span a line",
    "export": (
        "examples:\n  privacy-incidents export label-studio --incident clinic-snooping-2024 --out review.json\n"
        "  privacy-incidents export label-studio --out all-tasks.json      # every incident\n"
        "writes the tasks (text + current spans as predictions) and review.config.xml (the labelling config)"
    ),
    "import": (
        "examples:\n  privacy-incidents import label-studio project-1-at-2026-11-22.json --reviewer 'Ada Lovelace'\n"
        "EXPORT.json: Label Studio's JSON export. Every article of an incident must be reviewed; the labels are\n"
        "written as gold with the reviewer's name, and nothing is written if any task has a problem."
    ),
    "new": (
        "examples:\n  privacy-incidents new clinic-snooping-2024 --from saved-page.html --license 'copyright Example News'\n"
        "  privacy-incidents new clinic-snooping-2024 --from followup.md --add-article --published 2024-05-02\n"
        "FILE: plain text, Markdown, or a saved HTML page (the article body is extracted with trafilatura).\n"
        "Labels are suggested by rules_v1 and written as silver: review them before they count as gold."
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="privacy-incidents",
        description="Build, validate, evaluate and extend the privacy-incidents dataset.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--root", default=".",
                        help="the project: a clone, or any folder inside one (default: the current folder)")
    verbs = parser.add_subparsers(dest="verb", required=True)

    def verb(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        sub = verbs.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES.get(name),
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.set_defaults(handler=handler)
        return sub

    validate = verb("validate", cmd_validate, "Check every seed file; list all problems with file and line.")
    validate.add_argument("path", nargs="?", help="show only the problems of this incident folder or file (all are checked)")
    validate.add_argument("--fix", action="store_true",
                          help="first apply safe fixes: trim spaces around quotes, drop needless occurrences and repeated spans")
    build = verb("build", cmd_build, "Build the release (Parquet, card, split lists) from seeds/, atomically.")
    build.add_argument("--check", action="store_true", help="build to a scratch folder and compare with dataset/")
    build.add_argument("--out", help="where to write the release (default: dataset/ under --root)")
    only = build.add_mutually_exclusive_group()
    only.add_argument("--redistributable-only", dest="variant", action="store_const", const="redistributable",
                      help="leave out texts whose licence forbids redistribution (the variant to publish); needs --out")
    only.add_argument("--commercial-only", dest="variant", action="store_const", const="commercial",
                      help="also leave out texts whose licence forbids commercial use (e.g. CC BY-NC-SA); needs --out")
    evaluate = verb("evaluate", cmd_evaluate, "Fit baselines on train, score validation and test, write baselines/results/.")
    which = evaluate.add_mutually_exclusive_group(required=True)
    which.add_argument("--baseline", help="one baseline by name (a file in baselines/)")
    which.add_argument("--all", action="store_true", help="every baseline in baselines/")
    predict = verb("predict", cmd_predict, "Label your own sentences with a fitted baseline.")
    predict.add_argument("--baseline", required=True)
    predict.add_argument("--input", required=True, help="JSONL with a text field (and optional id), or Parquet with a text column")
    predict.add_argument("--output", required=True, help="predictions JSONL to write")
    score = verb("score", cmd_score, "Score a predictions file against the release.")
    score.add_argument("--predictions", required=True)
    score.add_argument("--task", default="elements", choices=["elements", "types", "incident", "spans"])
    score.add_argument("--split", default="test", choices=["train", "validation", "test"])
    score.add_argument("--full", action="store_true", help="print per-label scores too")
    extract = verb("extract", cmd_extract, "Turn an article (.txt, .md, saved .html) into an incident record with the best baselines.")
    extract.add_argument("article", help="the article file")
    extract.add_argument("--output", help="the record JSON to write (default: print it)")
    suggest = verb("suggest", cmd_suggest, "Suggest typed spans for an article with the rules_v1 suggester.")
    suggest.add_argument("file")
    new = verb("new", cmd_new, "Add an incident from a text, Markdown or saved HTML file, with suggested (silver) labels.")
    new.add_argument("incident_id", help="a new id, e.g. clinic-snooping-2024 (letters, digits, '-', '_')")
    new.add_argument("--from", dest="source_file", required=True, metavar="FILE", help="the article: .txt, .md or saved .html")
    new.add_argument("--add-article", action="store_true", help="add FILE as one more article of an existing incident")
    new.add_argument("--title", help="the article's title (default: the page's title, or its first line)")
    new.add_argument("--incident-title", help="the incident's title (default: the article's title)")
    new.add_argument("--summary", help="one paragraph: who did what to whose data, and what followed")
    new.add_argument("--date", type=_date, help="when the incident was first reported, YYYY-MM-DD")
    new.add_argument("--publisher", help="who published the article (default: the page's site name)")
    new.add_argument("--url")
    new.add_argument("--published", type=_date, help="publication date, YYYY-MM-DD")
    new.add_argument("--retrieved", type=_date, help="when you saved the file, YYYY-MM-DD")
    new.add_argument("--language", default="en", help="language of the text (default: en)")
    new.add_argument("--license", help="the text's licence (default: unknown, treated as all rights reserved)")
    new.add_argument("--redistributable", action="store_true", help="the licence allows redistributing the text (default: no)")
    export = verb("export", cmd_export, "Write review tasks for an annotation tool (Label Studio).")
    export.add_argument("tool", choices=["label-studio"])
    export.add_argument("--incident", action="append", metavar="ID", help="an incident to export (repeatable; default: all)")
    export.add_argument("--out", required=True, help="the tasks JSON to write; the config goes beside it")
    import_ = verb("import", cmd_import, "Turn an annotation tool's export (Label Studio JSON) into gold annotations.")
    import_.add_argument("tool", choices=["label-studio"])
    import_.add_argument("export", help="the JSON file Label Studio exported")
    import_.add_argument("--reviewer", required=True, help="who reviewed the labels (recorded in the annotation file)")
    import_.add_argument("--annotator", help="who made the labels (default: 'Label Studio review by REVIEWER')")
    from .mine_cli import register as register_mine

    register_mine(verb)  # mine, candidate
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "project_free", False):  # a verb that reads only the files it is given
            args.project = None
            return args.handler(args)
        with using(args.root) as project:  # the caller's project is back in place afterwards
            args.project = project
            return args.handler(args)
    except SeedErrors as errors:
        return _report(errors)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
