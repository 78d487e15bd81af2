#!/usr/bin/env bash
# The main job on a fresh machine: set up .venv, build the release from seeds/, evaluate the
# baselines. Safe to re-run; the outputs are deterministic, so on a clean clone nothing changes.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv" >&2
  "$PYTHON" -m venv .venv
fi
echo "== installing privacy-incidents and its pinned dependencies" >&2
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
echo "== building the release (seeds/ -> dataset/)" >&2
.venv/bin/privacy-incidents build
echo "== evaluating the baselines" >&2
.venv/bin/privacy-incidents evaluate --all
echo "== rendering the card with the new results" >&2
.venv/bin/privacy-incidents build
echo "== done: dataset/ is built; tests: .venv/bin/python -m pytest" >&2
