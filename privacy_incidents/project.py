"""One project root for every file the engine reads or writes, and the errors users see.

A *project* is a folder holding ``schemas/labels.yaml`` (a clone of this repository, or a copy
of its inputs). Every path below — taxonomy, sources, rules, baselines, cards, the release —
is resolved from that one root, so ``--root other-clone`` never mixes two projects, and a
non-editable install works as well as a clone. Nothing is read at import time.

>>> project = Project(Path("clone"))
>>> project.labels.as_posix(), project.dataset.as_posix()
('clone/schemas/labels.yaml', 'clone/dataset')
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

MARKER = Path("schemas") / "labels.yaml"


class UserError(Exception):
    """A problem the user can fix (bad input, wrong folder): ``cli.main`` prints it, never a traceback."""


class ProjectError(UserError):
    """The folder given (or the current one) is not a privacy-incidents project."""


@dataclass  # not frozen: Python sets __traceback__ on an exception as it passes through a `with`
class SeedError(UserError):
    """A problem in a seed file, located as precisely as we can."""

    path: Path
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


class SeedErrors(UserError):
    """Several problems found at once (``validate`` lists all of them)."""

    def __init__(self, errors: list[SeedError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))

    def __reduce__(self) -> tuple[Any, ...]:  # rebuilt from its errors, e.g. raised in a forked worker
        return SeedErrors, (self.errors,)


@dataclass(frozen=True)
class Project:
    """The paths of one project, all under ``root``."""

    root: Path

    @property
    def labels(self) -> Path:
        return self.root / MARKER

    @property
    def schemas(self) -> Path:
        return self.root / "schemas"

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def sources_registry(self) -> Path:
        return self.root / "seeds" / "sources.yaml"

    @property
    def cards(self) -> Path:
        return self.root / "cards"

    @property
    def baselines(self) -> Path:
        return self.root / "baselines"

    @property
    def results(self) -> Path:
        return self.root / "baselines" / "results"

    @property
    def models(self) -> Path:
        return self.root / "baselines" / "models"

    @property
    def dataset(self) -> Path:
        return self.root / "dataset"

    @property
    def cache(self) -> Path:
        return self.root / ".cache"


def find_project(start: Path | str = ".") -> Project:
    """The project holding ``start``: ``start`` itself or the nearest parent with ``schemas/labels.yaml``."""
    start = Path(start)
    if not start.exists():
        raise ProjectError(f"{start}: no such folder; give the folder of a privacy-incidents clone (--root)")
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            # Keep the path as the user gave it when it is the root: messages then name familiar paths.
            return Project(start if folder == here else folder)
    raise ProjectError(
        f"{start}: not a privacy-incidents project (no {MARKER.as_posix()} here or in any parent folder); "
        "run from a clone of the project or pass --root CLONE"
    )


def read_once(path: Path, parse: Callable[[Path], Any]) -> Any:
    """``parse(path)``, remembered for as long as the file is unchanged (same path, same mtime).

    The project's definition files (taxonomy, rules, tasks) are asked for again and again;
    ``parse`` must be a module-level function (it is part of the cache key).
    """
    path = path.resolve()
    return _parsed(path, path.stat().st_mtime_ns, parse)


@cache
def _parsed(path: Path, modified_ns: int, parse: Callable[[Path], Any]) -> Any:
    return parse(path)


_active: Project | None = None


def activate(root: Path | str | Project) -> Project:
    """Make ``root`` the project every reader uses from now on (``cli.main`` does this once)."""
    global _active
    _active = root if isinstance(root, Project) else find_project(root)
    return _active


def active() -> Project:
    """The project in use: the one activated, else the one holding the current folder."""
    return _active if _active is not None else activate(Path.cwd())


@contextmanager
def using(root: Path | str | Project) -> Iterator[Project]:
    """Use another project for a while (tests, ``build --root``), then go back."""
    global _active
    previous = _active
    try:
        yield activate(root)
    finally:
        _active = previous
