#!/usr/bin/env bash
# Create .venv-labelstudio (beside .venv) with the pinned Label Studio of requirements.txt.
# A separate venv because Label Studio's pins (pyarrow<25, ...) conflict with this project's
# (pyarrow==26.0.*); the tests drive the server over HTTP from .venv. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
VENV=.venv-labelstudio
if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
echo "== installing Label Studio into $VENV" >&2
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -r scripts/labelstudio/requirements.txt
# (not `label-studio --version`: it starts a server and asks PyPI for the latest release)
"$VENV/bin/python" -c "import importlib.metadata as m; print(\"label-studio\", m.version(\"label-studio\"), \"label-studio-sdk\", m.version(\"label-studio-sdk\"))" >&2
