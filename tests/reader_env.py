"""A reader's machine, as near as a test can make one: the project's wheel installed in a
fresh virtual environment, with nothing from the repository on its path.

The environment gets the wheel in its own site-packages. The libraries a page needs
(PyTorch, sympy, ...) and Jupyter's kernel are this test run's own, reached through a
path file that names this environment's site-packages folder: installing PyTorch again
would take minutes, and no index is reachable. Only that folder is added, not the path
files in it, so the editable install of this repository stays out. The kernel and the
scripts run in the environment's folder, never in the repository.

Used by ``tests/test_downloads.py`` and ``scripts/downloads.py`` (``make downloads``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGED = ["pyproject.toml", "README.md", "snippets", "pagecheck"]  # what the wheel is built from
KERNEL = "reader-env"
WHERE_FROM = "import pagecheck, snippets; print(pagecheck.__file__); print(snippets.__file__)"


@dataclass
class ReaderEnv:
    folder: Path
    python: Path
    wheel: Path
    jupyter_path: Path

    def environ(self) -> dict[str, str]:
        """The environment a reader's process gets: no PYTHONPATH, no hint of this repository."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "PAGECHECK_"))}
        env["JUPYTER_PATH"] = str(self.jupyter_path)
        env["MPLBACKEND"] = "Agg"
        return env

    def run_python(self, script: Path, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.python), str(script)], cwd=self.folder, env=self.environ(),
            capture_output=True, text=True, timeout=timeout,
        )

    def run_notebook(self, notebook_path: Path, timeout: float = 600):
        """Run a notebook top to bottom in this environment's kernel, with one more cell at
        the end that prints where pagecheck and snippets were imported from. Returns the
        executed notebook; a failing cell raises nbclient's CellExecutionError, which
        shows the cell and its traceback."""
        import nbformat
        from nbclient import NotebookClient

        notebook = nbformat.read(notebook_path, as_version=4)
        notebook.cells.append(nbformat.v4.new_code_cell(WHERE_FROM))
        saved = os.environ.copy()
        os.environ.clear()
        os.environ.update(self.environ())  # the kernel inherits this process's environment
        try:
            NotebookClient(
                notebook, kernel_name=KERNEL, timeout=timeout,
                resources={"metadata": {"path": str(self.folder)}},
            ).execute()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return notebook


def make(folder: Path) -> ReaderEnv:
    """Build the wheel from a copy of what it packages, and install it in a fresh
    environment under ``folder``."""
    source = folder / "source"
    for name in PACKAGED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "vendor"))
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    dist = folder / "dist"
    # The wheel, as pip would build it (the same backend, setuptools, with no isolation and
    # no index), but without pip's start-up; then installed by PyPA's installer.
    _run([sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_wheel({str(dist)!r})"],
         cwd=source)
    wheel = next(dist.glob("backprop_by_hand-*.whl"))

    env = folder / "env"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    paths = json.loads(_run([str(python), "-c", "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))"]))
    purelib = Path(paths["purelib"])
    (purelib / "test-run-libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    destination = SchemeDictionaryDestination(
        {**{key: paths[key] for key in ("purelib", "platlib", "scripts", "data")}, "headers": paths["include"]},
        interpreter=str(python), script_kind="posix",
    )
    with WheelFile.open(wheel) as source_wheel:
        install(source_wheel, destination, additional_metadata={"INSTALLER": b"installer\n"})

    jupyter = folder / "jupyter"
    kernel = jupyter / "kernels" / KERNEL
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}", "--log-level=ERROR"],
        "display_name": "A reader's environment", "language": "python",
    }), encoding="utf-8")
    return ReaderEnv(folder=env, python=python, wheel=wheel, jupyter_path=jupyter)


def _run(command: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd or sysconfig.get_paths()["purelib"])
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def output_text(notebook, cell_index: int) -> str:
    """What a cell of an executed notebook printed."""
    return "".join(
        out.get("text", "") for out in notebook.cells[cell_index].get("outputs", []) if out.get("output_type") == "stream"
    )
