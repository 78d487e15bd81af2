"""Regenerate docs/label-studio-review.png: the labelling screen with a seed article and its suggested spans.

Starts a private Label Studio (``tests/labelstudio_app.py``; install it with ``bash
scripts/labelstudio/setup_venv.sh``), creates a project from ``privacy-incidents export
label-studio`` of the ByteDance/TikTok seed incident, logs in with headless Chromium from Debian's
packages (``apt-get install -y chromium``; Playwright only drives it, it downloads no browser:
``pip install -e ".[screenshot]"``) and photographs the first article's task. Then, as a check
of the browser path the API tests cannot take, it labels one word with the mouse, submits, and
reads the app's export back through the importer. Run from the project root:

    .venv/bin/python scripts/labelstudio/screenshot_review.py [--out docs/label-studio-review.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))  # for tests.labelstudio_app

from playwright.sync_api import sync_playwright  # noqa: E402

from privacy_incidents.labelstudio import config_path, export_label_studio, spans_from_export  # noqa: E402
from privacy_incidents.schema import load_taxonomy  # noqa: E402
from tests.labelstudio_app import PASSWORD, USER, label_studio_executable, running_label_studio  # noqa: E402

INCIDENT = "bytedance-tiktok-journalists-2022"
CHROMIUM = "/usr/bin/chromium"  # Debian's package
# No calls out, no state kept: the browser flags the review screenshot is taken with.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
VIEWPORT = {"width": 1600, "height": 1100}
# After the picture, one region is made with the mouse to check a real selection's offsets.
SELECTED_WORD, SELECTED_LABEL = "Andersen", "actor:other_external"


def take(out: Path) -> None:
    """Start Label Studio, load the seed incident's tasks, and save the labelling screen to ``out``."""
    executable = label_studio_executable()
    if executable is None:
        sys.exit("error: Label Studio is not installed: run bash scripts/labelstudio/setup_venv.sh")
    with tempfile.TemporaryDirectory(prefix="review-screenshot-") as scratch:
        scratch_dir = Path(scratch)
        tasks_file = scratch_dir / "review.json"
        export_label_studio(PROJECT_ROOT, tasks_file, [INCIDENT])
        with running_label_studio(executable, scratch_dir / "label-studio") as server:
            project = server.create_project("privacy-incidents review", config_path(tasks_file).read_text(encoding="utf-8"))
            server.import_tasks(project, json.loads(tasks_file.read_text(encoding="utf-8")))
            first_task = server.tasks(project)[0]["id"]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch_persistent_context(
                    str(scratch_dir / "chromium-profile"), executable_path=CHROMIUM, headless=True,
                    args=CHROMIUM_FLAGS, viewport=VIEWPORT,
                )
                try:
                    page = browser.new_page()
                    page.goto(f"{server.url}/user/login/")
                    page.fill("input[name=email]", USER)
                    page.fill("input[name=password]", PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_url(f"{server.url}/")
                    page.goto(f"{server.url}/projects/{project}/data?task={first_task}")
                    # The article's text with the suggested regions highlighted, and the regions list.
                    page.wait_for_selector(".lsf-richtext__line >> text=TikTok", timeout=60_000)
                    page.wait_for_timeout(3000)  # let the regions render and the layout settle
                    out.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(out))
                    check_white_space(page)
                    select_and_submit(page, SELECTED_WORD, SELECTED_LABEL)
                finally:
                    browser.close()
            check_selection(server.export_json(project), SELECTED_WORD, SELECTED_LABEL)
    print(f"wrote {out}")


def check_white_space(page) -> None:
    """The config's Style reaches the text: runs of spaces show, as the offsets count them."""
    styles = page.evaluate("() => [...document.querySelectorAll('.lsf-richtext__line')].map(e => getComputedStyle(e).whiteSpace)")
    if not styles or set(styles) != {"pre-wrap"}:
        sys.exit(f"error: the text's lines have white-space {sorted(set(styles))}, not pre-wrap: the config's Style missed them")


def select_and_submit(page, word: str, label: str) -> None:
    """Label ``word`` as a reviewer does: pick the label, double-click the word, Submit."""
    page.get_by_text(label, exact=True).first.click()
    # The Text tag renders each line as span.lsf-richtext__line (Label Studio 1.23).
    box = page.evaluate(
        """word => {
          for (const line of document.querySelectorAll('.lsf-richtext__line')) {
            const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
            for (let node; (node = walker.nextNode()); ) {
              const at = node.data.indexOf(word);
              if (at < 0) continue;
              const range = document.createRange();
              range.setStart(node, at);
              range.setEnd(node, at + word.length);
              const b = range.getBoundingClientRect();
              return {x: b.x + b.width / 2, y: b.y + b.height / 2};
            }
          }
          return null;
        }""",
        word,
    )
    if box is None:
        sys.exit(f"error: {word!r} is not on the labelling screen")
    page.mouse.dblclick(box["x"], box["y"])
    page.wait_for_timeout(1000)
    page.get_by_role("button", name="Submit").click()
    page.wait_for_timeout(3000)


def check_selection(exported: list, word: str, label: str) -> None:
    """The region the browser made reads back through the importer at the right offsets."""
    (task,) = [t for t in exported if t["annotations"]]
    text = task["data"]["text"]
    spans = spans_from_export([task], load_taxonomy())[(task["data"]["incident_id"], task["data"]["article_id"])][1]
    made = [s for s in spans if s.label == label and text[s.start : s.end] == word]
    if not made:
        sys.exit(f"error: the region selected in the browser did not come back as {label} {word!r}")
    print(f"selected in the browser and read back by the importer: {label} {word!r} at {made[0].start}:{made[0].end}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "label-studio-review.png")
    take(parser.parse_args().out)


if __name__ == "__main__":
    main()
