"""Files the API serves that come from npm packages are committed (so /docs works from a fresh clone with
only Python, and in the Lambda package): they must be exactly the files of the version package.json pins,
as npm installed it (``make docs-assets`` copies them again after a version change)."""
from __future__ import annotations

import json

import pytest

from chalicelib.admin.api.routes import _DOC_ASSETS, SWAGGER_UI_VERSION
from infra.template import ROOT

VENDORED = ROOT / "chalicelib" / "reference" / "docs"
PACKAGE = ROOT / "node_modules" / "swagger-ui-dist"


def test_the_served_swagger_ui_is_the_pinned_npm_release_unchanged():
    if not PACKAGE.exists():
        pytest.fail("node_modules/swagger-ui-dist is missing: run `npm ci` (make test does)")
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["swagger-ui-dist"]
    installed = json.loads((PACKAGE / "package.json").read_text())["version"]
    assert pinned == installed == SWAGGER_UI_VERSION
    assert set(_DOC_ASSETS) == {p.name for p in VENDORED.iterdir()}, "serve exactly the committed files"
    for name in _DOC_ASSETS:
        assert (VENDORED / name).read_bytes() == (PACKAGE / name).read_bytes(), f"{name}: run `make docs-assets`"
    assert "Apache License" in (VENDORED / "LICENSE").read_text() and "swagger-ui-dist" in (
        ROOT / "chalicelib" / "reference" / "SOURCES.md").read_text(encoding="utf-8")
