"""Writes that a reader never sees half done: a file through a temporary file and a rename,
a folder through a staging folder swapped in whole. The one place the engine does either.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from pathlib import Path

_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def stage_file(target: Path, text: str | bytes) -> Path:
    """Write to a hidden temporary file beside ``target``, so a rename puts it in place at once."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Suffix .tmp: a reader globbing the folder for *.yaml or *.json never picks up a staged file.
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    mode = "wb" if isinstance(text, bytes) else "w"
    with os.fdopen(handle, mode, **({} if isinstance(text, bytes) else {"encoding": "utf-8", "newline": "\n"})) as stream:
        stream.write(text)
    os.chmod(name, 0o644)  # mkstemp makes it private; project files are for everyone to read
    return Path(name)


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    temporary = stage_file(path, text)
    try:
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def swap_in(new: Path, target: Path) -> None:
    """Replace folder ``target`` by ``new``: atomically where the system can exchange two paths,
    else by two renames, putting the old folder back if the second fails."""
    if target.exists() and _exchange(new, target):
        shutil.rmtree(new)  # ``new`` now holds the old folder
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    try:
        new.rename(target)
    except OSError:
        if old.exists():
            old.rename(target)
        raise
    if old.exists():
        shutil.rmtree(old)
