"""docs/openapi.json survives client generation: the Python client (openapi-python-client, in the tools venv
.venv-tools/ that `make install-test` creates) and the TypeScript types (openapi-typescript, npm) generated from
it hold every component schema under its own name and every operation. A schema a generator cannot type is
dropped with no more than a warning (as HouseholdIn, SyncBody and VisitIn once were: three GPS models all titled
"Gps", of number-or-string coordinates): that fails here."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from infra.template import ROOT

DOCUMENT = ROOT / "docs" / "openapi.json"
PYTHON_GENERATOR = ROOT / ".venv-tools" / "bin" / "openapi-python-client"
TS_GENERATOR = ROOT / "node_modules" / ".bin" / "openapi-typescript"


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


def _run(args: list[str], cwd) -> subprocess.CompletedProcess:
    if not Path(args[0]).exists():
        pytest.fail(f"{args[0]} is missing: run `make install-test`")
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def test_the_python_client_keeps_every_schema_and_operation(document, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("post_hooks: []\n")  # no ruff run: the check reads names, not style
    out = tmp_path / "client"
    result = _run([str(PYTHON_GENERATOR), "generate", "--path", str(DOCUMENT), "--output-path", str(out),
                   "--meta", "none", "--config", str(config), "--fail-on-warning"], tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    classes = {m for f in (out / "models").glob("*.py")
               for m in re.findall(r"^class (\w+)\b", f.read_text(encoding="utf-8"), re.M)}
    schemas = set(document["components"]["schemas"])
    assert schemas - classes == set(), f"dropped or renamed by openapi-python-client: {sorted(schemas - classes)}"
    endpoints = {f.stem for f in (out / "api").rglob("*.py") if f.stem != "__init__"}
    operations = {_snake(op["operationId"]) for item in document["paths"].values() for op in item.values()}
    assert operations - endpoints == set(), f"operations not generated: {sorted(operations - endpoints)}"
    geo = (out / "models" / "geo_point.py").read_text(encoding="utf-8")
    assert re.search(r"^    lat: float$", geo, re.M) and re.search(r"^    lon: float$", geo, re.M), geo


def test_the_typescript_types_keep_every_schema_and_path(document, tmp_path):
    out = tmp_path / "api.d.ts"
    result = _run([str(TS_GENERATOR), str(DOCUMENT), "--output", str(out)], tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    text = out.read_text(encoding="utf-8")
    block = text[text.index("\n    schemas: {\n"):]
    block = block[:block.index("\n    };\n")]
    types = set(re.findall(r"^        (\w+): ", block, re.M))
    schemas = set(document["components"]["schemas"])
    assert schemas - types == set(), f"dropped or renamed by openapi-typescript: {sorted(schemas - types)}"
    paths = set(re.findall(r'^    "([^"]+)": \{', text, re.M))
    assert set(document["paths"]) - paths == set()
    geo = block[block.index("        GeoPoint: {"):]
    geo = geo[:geo.index("\n        };")]
    assert re.search(r"^            lat: number;$", geo, re.M) and re.search(r"^            lon: number;$", geo, re.M)
