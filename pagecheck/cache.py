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
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(os.environ.get("PAGECHECK_CACHE_DIR", ROOT / ".cache" / "pages"))
# Results of pure functions of text (a typed formula parsed by sympy), shared by every cache
# folder: they can never be stale, and a cold run of the pages need not parse them again.
MEMO_DIR = Path(os.environ.get("PAGECHECK_MEMO_DIR", ROOT / ".cache"))
FORMAT = 1


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
                found[str(Path(file).resolve().relative_to(ROOT))] = _file_hash(Path(file))
    return found


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
            path = ROOT / rel
            if not path.is_file() or _file_hash(path) != digest:
                return False
        return True


def _path(key: str) -> Path:
    return CACHE_DIR / f"{key}.json"


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
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = _path(entry.key).with_suffix(".tmp")
    tmp.write_text(json.dumps(entry.__dict__), encoding="utf-8")
    tmp.replace(_path(entry.key))


def _text_path(kind: str, key: str) -> Path:
    return MEMO_DIR / kind / (hashlib.sha256(key.encode()).hexdigest() + ".txt")


def load_text(kind: str, key: str) -> str | None:
    """A small remembered text (a parsed formula, say), or None."""
    if not enabled():
        return None
    path = _text_path(kind, key)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def store_text(kind: str, key: str, text: str) -> None:
    if not enabled():
        return
    path = _text_path(kind, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
