"""OpenAPI 3.1 document generated from the route registry (``RouteSpec``s) and the pydantic models.

``docs/openapi.json`` is this output, committed; ``tests/contract/test_openapi_sync.py`` fails when
it is stale. Regenerate with ``village-credit openapi --write``.
"""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api.routing import RouteSpec

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "description": "stable machine-readable code"},
        "message": {"type": "string"},
        "correlation_id": {"type": "string"},
        "fields": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}}}},
        "details": {"type": "object"}}}},
}

#: The one description of the Idempotency-Key header (docs/decisions/0004-idempotency-key-scope.md).
IDEMPOTENCY_KEY_TEXT = (
    "Client-chosen unique key of this request (at most 128 characters). Its scope is the caller: the same user "
    "sending the same key to the same operation (method and route) again gets the first result replayed for 24 "
    "hours, and nothing is done twice; the same key from another user is another request. Reusing a key for a "
    "different request (other path parameters or body) is refused with 422 IDEMPOTENCY_KEY_REUSED; a repeat "
    "while the first is still running gets 409 IDEMPOTENCY_IN_PROGRESS (retry shortly). A refused request (4xx) "
    "is not remembered: fix it and send it again with the same key.")

_STATUS_TEXT = {400: "Bad request", 401: "Missing or invalid token", 403: "Not permitted", 404: "Not found",
                409: "Conflict (stale version, duplicate, wrong state)", 422: "Validation failed",
                429: "Too many requests"}


def build(specs: list[RouteSpec], *, version: str) -> dict[str, Any]:
    """The OpenAPI document for ``specs``; deterministic (sorted) so that it diffs cleanly."""
    models: set[type[BaseModel]] = set()
    for s in specs:
        for m in (s.body, s.response):
            if m is not None:
                models.add(m)
    ordered = sorted(models, key=lambda m: m.__name__)
    key_map, schemas = models_json_schema([(m, "validation" if _is_input(m, specs) else "serialization")
                                           for m in ordered], ref_template="#/components/schemas/{model}")
    components = dict(sorted(schemas.get("$defs", {}).items()))
    components["Error"] = ERROR_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for s in sorted(specs, key=lambda s: (s.path, s.method)):
        op: dict[str, Any] = {"operationId": s.name, "summary": s.summary, "tags": [s.tag]}
        params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                  for p in re.findall(r"{(\w+)}", s.path)]
        if s.query is not None:
            qs = s.query.model_json_schema()
            for name, prop in qs.get("properties", {}).items():
                params.append({"name": name, "in": "query", "required": name in qs.get("required", []),
                               "schema": {k: v for k, v in prop.items() if k != "title"}})
        if s.idempotent:
            params.append({"name": "Idempotency-Key", "in": "header", "required": True,
                           "schema": {"type": "string", "maxLength": 128}, "description": IDEMPOTENCY_KEY_TEXT})
        if params:
            op["parameters"] = params
        if s.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": key_map[(s.body, "validation" if _is_input(s.body, specs) else "serialization")]}}}
        ok: dict[str, Any] = {"description": s.responses.get(s.status, "OK")}
        if s.response is not None:
            ok["content"] = {"application/json": {
                "schema": key_map[(s.response, "validation" if _is_input(s.response, specs) else "serialization")]}}
        elif s.content_type != "application/json":
            ok["content"] = {s.content_type: {"schema": {"type": "string"}}}
        responses: dict[str, Any] = {str(s.status): ok}
        for status, text in s.responses.items():
            if status < 400 and status != s.status:  # another success status, same body
                responses[str(status)] = {**ok, "description": text}
        codes = [400, 422] if s.body or s.query else []
        if not s.public:
            codes = [401, 403, *codes]
        if "{" in s.path:
            codes += [400, 404]  # 400 INVALID_PATH_PARAMETER: a path parameter over 256 bytes
        if s.idempotent or s.method in ("PUT", "PATCH"):
            codes.append(409)
        codes += [c for c in s.responses if c >= 400]
        for c in sorted(set(codes)):
            responses[str(c)] = {"description": s.responses.get(c, _STATUS_TEXT[c]),
                                 "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        op["responses"] = responses
        if s.public:
            op["security"] = []
        if s.errors:
            op["x-error-codes"] = list(s.errors)
        paths.setdefault(s.path, {})[s.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "village-credit API", "version": version,
                 "description": "Whole-village credit (整村授信) platform: households, ratings, credit lines, "
                                "drawdowns and post-loan management. Money is a decimal string in CNY."},
        "servers": [{"url": "http://127.0.0.1:8000", "description": "local stack (make run)"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                       "description": "Cognito ID token (RS256); locally: village-credit login USER"}}},
    }


def _is_input(model: type[BaseModel], specs: list[RouteSpec]) -> bool:
    return any(s.body is model for s in specs)
