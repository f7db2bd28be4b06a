"""Writes the generated OpenAPI document to ``docs/openapi.json`` and to the copy the API serves."""
from __future__ import annotations

import json

from infra.template import ROOT

TARGETS = (ROOT / "docs" / "openapi.json", ROOT / "chalicelib" / "reference" / "openapi.json")


def current_text() -> str:
    """The document generated from the code as it is now."""
    from chalicelib import __version__
    from chalicelib.platform.http.openapi import build
    from chalicelib.routes import all_specs

    return json.dumps(build([s for _, s in all_specs()], version=__version__), ensure_ascii=False, indent=1,
                      sort_keys=False) + "\n"


def write_all(text: str | None = None) -> None:
    text = text or current_text()
    for path in TARGETS:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
