"""Make ``tests/data/mine/labelled-mix.jsonl``: a small, labelled mix of documents for checking ``mine``'s score.

Run once (kept for provenance); it reads the raw sources in ``../shared/data`` (see each
PROVENANCE.md) and writes documents in mining's input format plus a label:

- ``not_incident``: GDPRhub decisions about data subjects' rights or procedure (their relevant law
  cites only Articles 12, 15-21 and none of 5, 6, 9, 24, 25, 28, 32-34 GDPR), and HIBP entries
  that HIBP itself calls a spam list or fabricated (not an incident at the named service).
- ``incident``: GDPRhub decisions on personal data breaches (Article 33 or 34 GDPR cited) and
  HIBP breach descriptions ("suffered a data breach"), i.e. in-scope incidents written in
  registers the release does not have.

Samples are chosen by a hash of the case id or breach name (stable, no hand-picking).

    python scripts/make_mine_labelled_mix.py --shared ../shared/data --out tests/data/mine/labelled-mix.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path

import lxml.html

MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
RIGHTS = re.compile(r"Article 1[25-9]\b|Article 2[01]\b")
INCIDENT_LAW = re.compile(r"Article (5|6|9|24|25|28|32|33|34)\b")
BREACH_LAW = re.compile(r"Article 3[34]\b")
# Headlines that still describe an incident (marketing calls, cameras, disclosure) are left out.
INCIDENT_WORDS = re.compile(r"marketing|unsolicited|surveillance|camera|CCTV|disclos|breach|leak|publish|monitor", re.IGNORECASE)
NOT_AT_SERVICE = re.compile(r"spam list|fabricated", re.IGNORECASE)


def _order(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def gdprhub_text(case: dict) -> str:
    """Headline, facts and holding as plain paragraphs (Markdown links reduced to their text)."""
    parts = [case["headline"], case["facts"], case["holding"]]
    return "\n\n".join(MARKDOWN_LINK.sub(r"\1", part).strip() for part in parts if part)


def hibp_text(entry: dict) -> str:
    return lxml.html.fromstring(f"<p>{entry['description']}</p>").text_content().strip()


def gdprhub_documents(path: Path, rights: int, breaches: int) -> list[dict]:
    cases = sorted((json.loads(line) for line in path.open(encoding="utf-8")), key=lambda c: _order(c["case_id"]))
    law = lambda c: c.get("relevant_law") or ""  # noqa: E731
    chosen = [(c, "not_incident", "rights or procedure case (relevant law: rights articles only)")
              for c in cases if RIGHTS.search(law(c)) and not INCIDENT_LAW.search(law(c)) and not INCIDENT_WORDS.search(c["headline"] or "")][:rights]
    chosen += [(c, "incident", "personal data breach case (Article 33/34 GDPR cited)") for c in cases if BREACH_LAW.search(law(c))][:breaches]
    return [
        {"id": f"gdprhub-{c['case_id']}", "title": c["title"], "url": c["url"], "date": c.get("decided"), "text": gdprhub_text(c),
         "label": label, "why": why, "source": "gdprhub", "license": c["license"]}
        for c, label, why in chosen
    ]


def hibp_documents(path: Path, breaches: int) -> list[dict]:
    entries = sorted(json.loads(path.read_text(encoding="utf-8")), key=lambda e: _order(e["dump_name"]))
    chosen = [(e, "not_incident", "HIBP calls it a spam list or fabricated") for e in entries if NOT_AT_SERVICE.search(e["description"])]
    chosen += [(e, "incident", "HIBP breach description") for e in entries
               if "suffered a data breach" in e["description"] and not NOT_AT_SERVICE.search(e["description"])][:breaches]
    return [
        {"id": f"hibp-{e['dump_name']}", "title": f"HIBP: {e['dump_name']}", "url": "https://haveibeenpwned.com/",
         "date": e.get("breach_date"), "text": hibp_text(e), "label": label, "why": why, "source": "hibp",
         "license": "CC BY 4.0 (Have I Been Pwned, haveibeenpwned.com)"}
        for e, label, why in chosen
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default="../shared/data")
    parser.add_argument("--out", default="tests/data/mine/labelled-mix.jsonl")
    args = parser.parse_args()
    shared = Path(args.shared)
    documents = gdprhub_documents(shared / "gdprhub" / "gdprhub-summaries.jsonl", rights=20, breaches=10)
    documents += hibp_documents(shared / "hibp" / "HaveIBeenPwned.json", breaches=14)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")
    print(f"wrote {len(documents)} documents to {out}")


if __name__ == "__main__":
    main()
