"""Lays out the code of the Lambda functions for `sam build`: the template's ``CodeUri: .build/app``.

``python -m infra.package_app [DEST]`` (``make build`` runs it) replaces ``DEST`` (default ``.build/app``) with
``app.py``, ``chalicelib/`` and ``functions/`` – the code the handlers import and the package data they read at
run time (``chalicelib/reference/**``: parameter defaults, division and county tables, the OpenAPI copy) –
and nothing else: no tests, infra, bench, docs or bytecode caches of the working tree. The runtime
dependencies come from the layer (``.build/layer``, built by the Makefile), not from here. Sources only:
`sam build` copies this folder per function and its Python workflow drops ``*.pyc`` and ``__pycache__``
anyway. See docs/decisions/0005-lambda-build-and-packaging.md.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What the functions' code is: the handlers (``functions/``), the library they import (``chalicelib/``) and the
#: whole-API Chalice app (``app.py``, which mounts the same blueprints).
SOURCES = ("app.py", "chalicelib", "functions")
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*")


def package(dest: Path, root: Path = ROOT) -> list[Path]:
    """Replace ``dest`` with the function code from ``root``; return the files copied, relative to ``dest``.
    Raises FileNotFoundError naming a missing source, ValueError if ``dest`` is or holds a source folder."""
    dest = dest.resolve()
    if dest in (root, *root.parents) or any(dest == root / s or root / s in dest.parents for s in SOURCES):
        raise ValueError(f"refusing to replace {dest}: it holds the sources")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in SOURCES:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=_IGNORED)
        elif src.is_file():
            shutil.copy2(src, dest / name)
        else:
            raise FileNotFoundError(src)
    return sorted(p.relative_to(dest) for p in dest.rglob("*") if p.is_file())


def main(argv: list[str]) -> int:
    dest = Path(argv[0]) if argv else ROOT / ".build" / "app"
    files = package(dest)
    print(f"{dest}: {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
