"""``privacy-incidents <verb>``: thin handlers over the stage functions.

The parser is built in one function; each verb is one small function with examples in its help.
Run from the project root (the folder with ``seeds/`` and ``dataset/``), or pass ``--root``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from .seedfiles import SeedError, SeedErrors


def _root(args: argparse.Namespace) -> Path:
    return Path(args.root)


def _report(errors: list[SeedError] | SeedErrors) -> int:
    listed = errors.errors if isinstance(errors, SeedErrors) else errors
    for error in listed:
        print(f"error: {error}", file=sys.stderr)
    print(f"{len(listed)} problem(s) found; nothing was written.", file=sys.stderr)
    return 1


def cmd_validate(args: argparse.Namespace) -> int:
    from .build import collect, log, make_rows

    try:
        incidents, warnings = collect(_root(args), log)
        make_rows(incidents)
    except (SeedError, SeedErrors) as error:
        return _report([error] if isinstance(error, SeedError) else error)
    for warning in warnings:
        log(f"warning: {warning}")
    print(f"ok: {len(incidents)} incidents valid")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build_to, log, stale_files, write_json_schemas

    root = _root(args)
    out = Path(args.out) if args.out else root / "dataset"
    try:
        if args.check:
            with tempfile.TemporaryDirectory() as scratch:
                fresh = Path(scratch) / "dataset"
                build_to(root, fresh, log)
                stale = stale_files(fresh, out)
            if stale:
                print(f"{out} is stale; run `privacy-incidents build`. Differing files:", file=sys.stderr)
                for name in stale:
                    print(f"  {name}", file=sys.stderr)
                return 1
            print(f"ok: {out} is up to date")
            return 0
        summary = build_to(root, out, log)
        write_json_schemas(root)
    except (SeedError, SeedErrors) as error:
        return _report([error] if isinstance(error, SeedError) else error)
    print(f"built {out}: incidents {summary['incidents']}, sentences {summary['sentences']}")
    return 0


EXAMPLES = {
    "validate": "examples:\n  privacy-incidents validate\n  privacy-incidents --root path/to/clone validate",
    "build": (
        "examples:\n  privacy-incidents build              # seeds/ -> dataset/\n"
        "  privacy-incidents build --check      # exit 1 when dataset/ is stale\n"
        "  privacy-incidents build --out /tmp/release"
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="privacy-incidents",
        description="Build, validate, evaluate and extend the privacy-incidents dataset.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--root", default=".", help="project root holding seeds/ and dataset/ (default: .)")
    verbs = parser.add_subparsers(dest="verb", required=True)

    def verb(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        sub = verbs.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES.get(name),
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.set_defaults(handler=handler)
        return sub

    verb("validate", cmd_validate, "Check every seed file; list all problems with file and line.")
    build = verb("build", cmd_build, "Build the release (Parquet, card, split lists) from seeds/, atomically.")
    build.add_argument("--check", action="store_true", help="build to a scratch folder and compare with dataset/")
    build.add_argument("--out", help="where to write the release (default: dataset/ under --root)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
