"""docs/openapi.json is generated from the route registry and committed; it must be current."""
from __future__ import annotations

import json

from infra.openapi_doc import TARGETS, current_text


def test_committed_openapi_document_is_current():
    text = current_text()
    for path in TARGETS:
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run `village-credit openapi --write`"


def test_every_route_is_documented_with_its_models():
    from chalicelib.api.registry import all_specs

    doc = json.loads(current_text())
    for _, spec in all_specs():
        op = doc["paths"][spec.path][spec.method.lower()]
        if spec.body is not None:
            assert "requestBody" in op, spec.name
        if not spec.public:
            assert "401" in op["responses"] and "403" in op["responses"], spec.name
        if spec.idempotent:
            assert any(p["name"] == "Idempotency-Key" and p["required"] for p in op["parameters"]), spec.name
