"""Results of a slow, pure function of a text, kept between builds (``.cache/``, not committed).

Keyed by a hash of the text and of a version that names the function (the segmenter's version,
the rule file's hash), so a changed text or a changed function is computed again. The cache
is a convenience: a build makes the same bytes with or without it, and a damaged file is only
a slower build.

>>> cache = TextCache(None, "upper-1", lambda text: text.upper())
>>> cache.get("abc"), cache.get("abc"), cache.changed
('ABC', 'ABC', True)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .atomic import write_atomic


class TextCache:
    def __init__(self, path: Path | None, version: str, compute: Callable[[str], Any]):
        self.path, self.version, self.compute = path, version, compute
        self.values: dict[str, Any] = {}
        self.changed = False
        if path and path.exists():
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
                if stored.get("version") == version:
                    self.values = stored["values"]
            except (OSError, ValueError, KeyError, AttributeError):
                self.values = {}

    def key(self, text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def get(self, text: str) -> Any:
        key = self.key(text)
        if key not in self.values:
            self.values[key] = self.compute(text)
            self.changed = True
        return self.values[key]

    def save(self) -> None:
        if self.path and self.changed:
            write_atomic(self.path, json.dumps({"version": self.version, "values": self.values}, sort_keys=True))
