"""A real Label Studio server for tests and the review screenshot, driven over its REST API.

Label Studio lives in its own venv, ``.venv-labelstudio`` (``scripts/labelstudio/setup_venv.sh``):
its pins (pyarrow<25, ...) conflict with this project's (pyarrow==26). ``running_label_studio``
starts it on 127.0.0.1 at a free port with a fresh data folder, a user and a known API token
from environment variables, and no calls out (no version check, analytics or Sentry); the whole
process group is stopped when the ``with`` block ends, however it ends.

Endpoints used (Label Studio 1.23 API reference): ``POST /api/projects``, ``POST
/api/projects/{id}/import``, ``GET /api/tasks?project={id}``, ``POST /api/tasks/{id}/annotations``,
``GET /api/projects/{id}/export?exportType=JSON``; authentication ``Authorization: Token <token>``
(a legacy token, enabled with ``--enable-legacy-api-token``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the clone these tests belong to

VENV_BIN = PROJECT_ROOT / ".venv-labelstudio" / "bin" / "label-studio"
USER = "reviewer@example.com"
PASSWORD = "review-password-1"
# A legacy API token is 40 hex characters like Label Studio's own; any string longer than 5 is accepted.
TOKEN = "0123456789abcdef0123456789abcdef01234567"
START_TIMEOUT = 240  # seconds: first start migrates a new SQLite database (about a minute on 2 cores)
REQUEST_TIMEOUT = 60


def label_studio_executable() -> Path | None:
    """``$LABEL_STUDIO_BIN``, else ``.venv-labelstudio/bin/label-studio``, else ``label-studio`` on PATH."""
    given = os.environ.get("LABEL_STUDIO_BIN")
    if given:
        return Path(given)
    if VENV_BIN.exists():
        return VENV_BIN
    found = shutil.which("label-studio")
    return Path(found) if found else None


def free_port() -> int:
    """A port nobody listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(data_dir: Path) -> dict[str, str]:
    """The environment of a private, offline server: its data under ``data_dir``, our user and token."""
    env = dict(os.environ)
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
            "LABEL_STUDIO_USERNAME": USER,
            "LABEL_STUDIO_PASSWORD": PASSWORD,
            "LABEL_STUDIO_USER_TOKEN": TOKEN,
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            # No calls out: PyPI version check, usage analytics, Sentry error reports.
            "LATEST_VERSION_CHECK": "false",
            "COLLECT_ANALYTICS": "false",
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
            "SECRET_KEY": secrets.token_hex(32),
            # Anything else Label Studio keeps per user goes into the temporary folder too.
            "HOME": str(data_dir),
            "XDG_CONFIG_HOME": str(data_dir / "config"),
            "XDG_DATA_HOME": str(data_dir / "data"),
            "XDG_CACHE_HOME": str(data_dir / "cache"),
        }
    )
    return env


@dataclass
class LabelStudio:
    """A running server: its URL and an authenticated session for the API."""

    url: str
    session: requests.Session
    log: Path

    def api(self, method: str, path: str, expected: int = 200, **kwargs: Any) -> Any:
        """Call ``/api/...``; a status other than ``expected`` fails with the server's answer."""
        response = self.session.request(method, self.url + path, timeout=REQUEST_TIMEOUT, **kwargs)
        if response.status_code != expected:
            raise AssertionError(f"{method} {path}: HTTP {response.status_code} (expected {expected}): {response.text[:2000]}")
        return response.json() if response.content else None

    def create_project(self, title: str, label_config: str) -> int:
        """A project with this labelling config; Label Studio validates the config here."""
        return self.api("POST", "/api/projects", expected=201, json={"title": title, "label_config": label_config})["id"]

    def import_tasks(self, project: int, tasks: list[dict[str, Any]]) -> dict[str, Any]:
        """Import tasks (with their predictions) as the Import dialog does with a JSON file."""
        return self.api("POST", f"/api/projects/{project}/import", expected=201, json=tasks)

    def tasks(self, project: int) -> list[dict[str, Any]]:
        """Every task of the project with its predictions, in import order."""
        answer = self.api("GET", "/api/tasks", params={"project": project, "page_size": 1000, "fields": "all"})
        return sorted(answer["tasks"], key=lambda task: task["id"])

    def annotate(self, task: int, result: list[dict[str, Any]], prediction: int | None, lead_time: float) -> dict[str, Any]:
        """Submit an annotation of ``task`` as the labelling screen's Submit button does."""
        body = {"result": result, "was_cancelled": False, "ground_truth": False, "lead_time": lead_time, "parent_prediction": prediction}
        return self.api("POST", f"/api/tasks/{task}/annotations", expected=201, json=body)

    def export_json(self, project: int) -> list[dict[str, Any]]:
        """The project's "JSON" export (what Export > JSON downloads)."""
        return self.api("GET", f"/api/projects/{project}/export", params={"exportType": "JSON"})


def _wait_until_up(process: subprocess.Popen, url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Label Studio exited with {process.returncode} before answering; its log:\n{_tail(log)}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url + "/health", timeout=5).status_code == 200:
                return
        time.sleep(1)
    raise RuntimeError(f"Label Studio did not answer at {url} within {timeout:.0f} s; its log:\n{_tail(log)}")


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


def _stop(process: subprocess.Popen) -> None:
    """Stop the server's whole process group: TERM, then KILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


@contextlib.contextmanager
def running_label_studio(executable: Path, data_dir: Path, timeout: float = START_TIMEOUT) -> Iterator[LabelStudio]:
    """Start Label Studio on 127.0.0.1 with its data in ``data_dir``; stop it when the block ends."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "label-studio.log"
    command = [
        str(executable), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
        "--data-dir", str(data_dir), "--enable-legacy-api-token", "--log-level", "WARNING",
    ]
    with log.open("wb") as output:
        # Its own session (process group), so stopping it also stops anything it started.
        process = subprocess.Popen(
            command, env=server_environment(data_dir), stdin=subprocess.DEVNULL, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True, cwd=data_dir,
        )
    try:
        _wait_until_up(process, url, log, timeout)
        session = requests.Session()
        session.headers["Authorization"] = f"Token {TOKEN}"
        yield LabelStudio(url, session, log)
    finally:
        _stop(process)
