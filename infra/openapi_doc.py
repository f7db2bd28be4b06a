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


def stale_targets(text: str | None = None) -> dict[str, list[str]]:
    """``{relative path: [what differs, ...]}`` for each of :data:`TARGETS` that is not ``text`` (default: the
    document generated now); empty when all are current. A difference is a JSON pointer (RFC 6901) with
    ``added`` / ``removed`` / ``changed``, or ``missing`` / ``not JSON`` for the file itself."""
    text = text or current_text()
    new = json.loads(text)
    out: dict[str, list[str]] = {}
    for path in TARGETS:
        name = str(path.relative_to(ROOT))
        if not path.exists():
            out[name] = ["missing"]
            continue
        old_text = path.read_text(encoding="utf-8")
        if old_text == text:
            continue
        try:
            old = json.loads(old_text)
        except ValueError:
            out[name] = ["not JSON"]
            continue
        out[name] = json_differences(old, new) or ["formatting only (same JSON, other text)"]
    return out


def json_differences(old: object, new: object, pointer: str = "") -> list[str]:
    """What differs between two JSON values: ``"<pointer> added|removed|changed"``, depth first, the deepest
    object key that differs (list items are compared whole)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in list(old) + [k for k in new if k not in old]:
            where = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key not in new:
                out.append(f"{where} removed")
            elif key not in old:
                out.append(f"{where} added")
            elif old[key] != new[key]:
                out += json_differences(old[key], new[key], where)
        return out
    return [] if old == new else [f"{pointer or '/'} changed"]
