"""The execution cache: a page's code runs again only when something it depends on changed.

A page's entry is keyed by everything that can change what its code does:

* the code of its fences, in order (not their line numbers: editing prose moves them);
* the Python, torch, sympy, numpy and matplotlib versions, and pagecheck's own source;

and it records the snippets modules the page imported, with a hash of each file, so that an
edited helper makes every page that imports it run again. The entry holds each fence's
rendered output and the value of every claim and glue expression (as a snapshot), so
that changing a typed number, or any prose, is checked without running anything. A page
that adds a claim with a new expression runs again to compute it.

Only pages whose fences all ran are stored: a failure is never cached. ``PAGECHECK_CACHE=off``
turns the cache off (a cold run that writes nothing); ``make build-cold`` does that.

Entries live in ``PAGECHECK_CACHE_DIR`` (default ``.cache/pages``), remembered parses in
``PAGECHECK_MEMO_DIR`` (default ``.cache``). Both are read from the environment each time the
cache is used, so a test (or a benchmark) that sets them gets its own folders even when this
module was imported before. Every file is written under a temporary name of its own in the
same folder and then renamed over the entry, so that two processes storing the same entry at
once never leave half of one, nor trip over each other's temporary file.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FORMAT = 1


def cache_dir() -> Path:
    """Where page entries live: ``PAGECHECK_CACHE_DIR``, read now, or ``.cache/pages``."""
    return Path(os.environ.get("PAGECHECK_CACHE_DIR") or ROOT / ".cache" / "pages")


def memo_dir() -> Path:
    """Results of pure functions of text (a typed formula parsed by sympy), shared by every
    cache folder: they can never be stale, and a cold run of the pages need not parse them
    again. ``PAGECHECK_MEMO_DIR``, read now, or ``.cache``."""
    return Path(os.environ.get("PAGECHECK_MEMO_DIR") or ROOT / ".cache")


def enabled() -> bool:
    return os.environ.get("PAGECHECK_CACHE", "on").lower() not in {"off", "0", "no", "false"}


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    from importlib import metadata

    for name in ("torch", "sympy", "numpy", "matplotlib", "markdown-exec", "mini-racer"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "-"
    return found


def environment_key() -> str:
    digest = hashlib.sha256(json.dumps(_versions(), sort_keys=True).encode())
    for source in sorted((ROOT / "pagecheck").glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def notebook_key() -> str:
    """What a notebook's outputs depend on besides the notebook: versions, pagecheck, and
    every snippets module (a notebook's imports are not recorded, so all of them count)."""
    digest = hashlib.sha256(environment_key().encode())
    for source in sorted((ROOT / "snippets").rglob("*.py")):
        digest.update(str(source.relative_to(ROOT)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def page_key(display_path: str, fence_codes: list[str]) -> str:
    digest = hashlib.sha256(f"{FORMAT}|{environment_key()}|{display_path}".encode())
    for code in fence_codes:
        digest.update(b"\0fence\0")
        digest.update(code.encode())
    return digest.hexdigest()


def snippets_imported() -> dict[str, str]:
    """The project's snippets modules loaded in this process, with a hash of each file."""
    found = {}
    for name, module in list(sys.modules.items()):
        if name == "snippets" or name.startswith("snippets."):
            file = getattr(module, "__file__", None)
            if file:
                found[_recorded_path(Path(file))] = _file_hash(Path(file))
    return found


def _recorded_path(file: Path) -> str:
    """A snippets file as an entry records it: relative to the project (so a cache folder
    stays valid in another clone), or absolute when it lies outside (a test's own helper)."""
    resolved = file.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(resolved)


@dataclass
class Entry:
    key: str
    outputs: list[dict[str, Any]] = field(default_factory=list)  # per code fence, in order
    values: dict[str, Any] = field(default_factory=dict)  # claim/glue expression -> snapshot
    early: dict[str, Any] = field(default_factory=dict)  # "fence|expr" -> snapshot
    checks: dict[str, str] = field(default_factory=dict)  # "expr\0typed" -> "" or the failure
    imports: dict[str, str] = field(default_factory=dict)  # snippets file -> sha256
    seconds: float = 0.0
    peak_mib: float = 0.0

    def still_valid(self) -> bool:
        for rel, digest in self.imports.items():
            path = ROOT / rel  # an absolute path stays itself
            if not path.is_file() or _file_hash(path) != digest:
                return False
        return True


def _path(key: str) -> Path:
    return cache_dir() / f"{key}.json"


def _write_atomically(path: Path, text: str) -> None:
    """Write text to path so that a reader sees the old file or the new one, never a part:
    into a temporary file of a name no other writer uses, in the same folder (a rename
    within a file system is atomic), then renamed over path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(text)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def load(key: str) -> Entry | None:
    if not enabled():
        return None
    path = _path(key)
    if not path.is_file():
        return None
    try:
        entry = Entry(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None
    return entry if entry.key == key and entry.still_valid() else None


def store(entry: Entry) -> None:
    if not enabled():
        return
    _write_atomically(_path(entry.key), json.dumps(entry.__dict__))


def _text_path(kind: str, key: str) -> Path:
    return memo_dir() / kind / (hashlib.sha256(key.encode()).hexdigest() + ".txt")


def load_text(kind: str, key: str) -> str | None:
    """A small remembered text (a parsed formula, say), or None."""
    if not enabled():
        return None
    path = _text_path(kind, key)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def store_text(kind: str, key: str, text: str) -> None:
    if not enabled():
        return
    _write_atomically(_text_path(kind, key), text)
