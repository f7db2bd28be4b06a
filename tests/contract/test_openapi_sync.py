"""docs/openapi.json is generated from the route registry and committed; it must be current."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra.openapi_doc import TARGETS, current_text


def test_committed_openapi_document_is_current():
    text = current_text()
    for path in TARGETS:
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run `village-credit openapi --write`"


def test_every_route_is_documented_with_its_models():
    from chalicelib.routes import all_specs

    doc = json.loads(current_text())
    for _, spec in all_specs():
        op = doc["paths"][spec.path][spec.method.lower()]
        if spec.body is not None:
            assert "requestBody" in op, spec.name
        if not spec.public:
            assert "401" in op["responses"] and "403" in op["responses"], spec.name
        if spec.idempotent:
            assert any(p["name"] == "Idempotency-Key" and p["required"] for p in op["parameters"]), spec.name


SCHEMA_NAMES = Path(__file__).with_name("schema_names.txt")


def test_component_schemas_have_public_names_and_the_committed_set():
    """Clients are generated from the document: a component's name is its class name in every client. Names
    carry no module path, no -Input/-Output, equal their title; the set is committed so a rename is deliberate
    (update schema_names.txt in the same change and say so in CHANGELOG)."""
    schemas = json.loads(current_text())["components"]["schemas"]
    for name, schema in schemas.items():
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", name) and "__" not in name and "chalicelib" not in name, name
        assert schema.get("title") == name, name
    committed = set(SCHEMA_NAMES.read_text(encoding="utf-8").split())
    assert set(schemas) == committed, (f"added: {sorted(set(schemas) - committed)}, "
                                       f"removed or renamed: {sorted(committed - set(schemas))}")


def test_the_generator_refuses_two_models_sharing_a_class_name():
    """pydantic names such a pair by module path (chalicelib__api__x__Gps): the build fails and says why."""
    from pydantic import BaseModel, create_model

    from chalicelib.platform.http.openapi import build
    from chalicelib.platform.http.routing import RouteSpec

    a = create_model("Point", __module__="chalicelib.api.one", x=(int, ...))
    b = create_model("Point", __module__="chalicelib.api.two", y=(int, ...))
    holder = create_model("Holder", __base__=BaseModel, a=(a, ...), b=(b, ...))
    spec = RouteSpec(path="/x", method="POST", name="x", summary="x", tag="t", permission="p", body=holder,
                     query=None, response=None, status=200, public=False, idempotent=False, errors=())
    with pytest.raises(ValueError, match="rename the class"):
        build([spec], version="0")
