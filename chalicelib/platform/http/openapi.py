"""OpenAPI 3.1 document generated from the route registry (``RouteSpec``s) and the pydantic models.

``docs/openapi.json`` is this output, committed; ``tests/contract/test_openapi_sync.py`` fails when
it is stale. Regenerate with ``village-credit openapi --write``.

Two promises the document keeps, because clients are generated from it (``tests/contract/test_client_generation.py``):

* **Stable public schema names.** Every component is named after its model class (``HouseholdIn``, ``GeoPoint``)
  and carries that name as its ``title`` (openapi-python-client names classes by title). :func:`build` refuses a
  name that is not a plain identifier: pydantic falls back to module paths (``chalicelib__api__x__Gps``) when two
  models share a class name, and to ``-Input``/``-Output`` when one model has two shapes; rename the class
  instead. The set of names is committed (``tests/contract/schema_names.txt``): a rename is a deliberate change.
* **Every response documented.** :func:`statuses_of` derives, per route, every status it can answer from what the
  route declares (its success status and ``responses``, authentication, path parameters, body, query,
  idempotency, method), each error status with the one :data:`ERROR_SCHEMA` body.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.platform.http.routing import MAX_PATH_PARAMETER_BYTES, RouteSpec

_ERROR_REF = {"$ref": "#/components/schemas/Error"}

#: The one error body (``chalicelib.platform.errors.DomainError.to_dict`` plus the correlation id), as three components.
ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {"title": "Error", "type": "object", "required": ["error"],
              "description": "The body of every error response (4xx and 5xx).",
              "properties": {"error": {"$ref": "#/components/schemas/ErrorDetail"}}},
    "ErrorDetail": {"title": "ErrorDetail", "type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "description": "stable machine-readable code, e.g. VERSION_CONFLICT"},
        "message": {"type": "string", "description": "for people; may change"},
        "correlation_id": {"type": "string", "description": "quote it when reporting a problem"},
        "fields": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"},
                   "description": "the request fields at fault"},
        "details": {"type": "object", "description": "code-specific facts"}}},
    "FieldError": {"title": "FieldError", "type": "object", "required": ["field", "code", "message"], "properties": {
        "field": {"type": "string", "description": "path into the request, e.g. members[0].resident_id"},
        "code": {"type": "string", "description": "stable code of the problem, e.g. ID_CHECK_DIGIT"},
        "message": {"type": "string"}}},
}

#: The one description of the Idempotency-Key header (docs/decisions/0004-idempotency-key-scope.md).
IDEMPOTENCY_KEY_TEXT = (
    "Client-chosen unique key of this request (at most 128 characters). Its scope is the caller: the same user "
    "sending the same key to the same operation (method and route) again gets the first result replayed for 24 "
    "hours, and nothing is done twice; the same key from another user is another request. Reusing a key for a "
    "different request (other path parameters or body) is refused with 422 IDEMPOTENCY_KEY_REUSED; a repeat "
    "while the first is still running gets 409 IDEMPOTENCY_IN_PROGRESS (retry shortly). A refused request (4xx) "
    "is not remembered: fix it and send it again with the same key.")

_STATUS_TEXT = {
    200: "OK", 201: "Created", 202: "Accepted",
    400: "Malformed request", 401: "Missing, expired or invalid token", 403: "Not permitted",
    404: "Not found, or outside the caller's scope", 409: "Conflict with the current state",
    415: "The request body is not application/json", 422: "Validation failed",
    429: "Too many requests (retry later)", 500: "Internal error (a fault of the service; quote the correlation id)",
}

#: A public component name: a plain identifier, no module path, no ``-Input``/``-Output`` suffix.
PUBLIC_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")


def statuses_of(spec: RouteSpec) -> dict[int, list[str]]:
    """Every status ``spec``'s route can answer → the error codes common to routes of its kind (the route's own
    codes are ``spec.errors``). The rules mirror :func:`chalicelib.platform.http.routing.dispatch` and the store:

    * every route: its ``status`` and those in ``responses``; 429 ``THROTTLED`` (API Gateway's throttle, the store's);
      500 ``INTERNAL``;
    * authenticated routes: 401 ``TOKEN_MISSING`` / ``TOKEN_EXPIRED`` / ``TOKEN_INVALID``, 403
      ``PERMISSION_DENIED`` / ``ACCOUNT_NOT_PROVISIONED`` and the route's own refusals;
    * a path parameter: 400 ``INVALID_PATH_PARAMETER`` (over 256 bytes), 404 (the resource);
    * a body: 400 ``INVALID_JSON`` / ``BODY_REQUIRED``, 415 ``UNSUPPORTED_MEDIA_TYPE``, 422
      ``REQUEST_VALIDATION``, 404 (a resource the body names);
    * a query: 422 ``REQUEST_VALIDATION``, 400 (``INVALID_CURSOR`` when it pages), 404 (a resource it names);
    * a path parameter or a query: 422 (a rule on what they name);
    * a method that writes (not GET): 409 ``CONCURRENT_UPDATE`` (and the route's own conflicts), 422
      ``VALUE_NOT_STORABLE`` (and the route's own rules);
    * idempotent routes: 400 ``IDEMPOTENCY_KEY_REQUIRED`` / ``IDEMPOTENCY_KEY_INVALID``, 409
      ``IDEMPOTENCY_IN_PROGRESS``, 422 ``IDEMPOTENCY_KEY_REUSED``.
    """
    out: dict[int, list[str]] = {spec.status: []}
    for extra in spec.responses:
        out.setdefault(extra, [])

    def add(status: int, *codes: str) -> None:
        out.setdefault(status, [])
        out[status].extend(c for c in codes if c not in out[status])

    has_path = "{" in spec.path
    pages = spec.query is not None and "cursor" in spec.query.model_fields
    if not spec.public:
        add(401, "TOKEN_MISSING", "TOKEN_EXPIRED", "TOKEN_INVALID")
        add(403, "PERMISSION_DENIED", "ACCOUNT_NOT_PROVISIONED")
    if has_path:
        add(400, "INVALID_PATH_PARAMETER")
        add(404)
    if spec.body is not None:
        add(400, "INVALID_JSON", "BODY_REQUIRED")
        add(404)
        add(415, "UNSUPPORTED_MEDIA_TYPE")
        add(422, "REQUEST_VALIDATION")
    if spec.query is not None:
        add(400, *(("INVALID_CURSOR",) if pages else ()))
        add(404)
        add(422, "REQUEST_VALIDATION")
    if has_path:
        add(422)
    if spec.method != "GET":
        add(409, "CONCURRENT_UPDATE")
        add(422, "VALUE_NOT_STORABLE")
    if spec.idempotent:
        add(400, "IDEMPOTENCY_KEY_REQUIRED", "IDEMPOTENCY_KEY_INVALID")
        add(409, "IDEMPOTENCY_IN_PROGRESS")
        add(422, "IDEMPOTENCY_KEY_REUSED")
    add(429, "THROTTLED")
    add(500, "INTERNAL")
    return dict(sorted(out.items()))


def _components(specs: list[RouteSpec]) -> tuple[dict[Any, Any], dict[str, Any]]:
    models: set[type[BaseModel]] = set()
    for s in specs:
        for m in (s.body, s.response):
            if m is not None:
                models.add(m)
    ordered = sorted(models, key=lambda m: m.__name__)
    key_map, schemas = models_json_schema([(m, "validation" if _is_input(m, specs) else "serialization")
                                           for m in ordered], ref_template="#/components/schemas/{model}")
    defs = schemas.get("$defs", {})
    bad = sorted(n for n in defs if not PUBLIC_NAME.match(n)) + sorted(n for n in ERROR_SCHEMAS if n in defs)
    if bad:
        raise ValueError(f"schema names that are not public names: {bad}: two models share a class name (pydantic "
                         "then uses module paths), a model has different input and output shapes (-Input/-Output), "
                         "or a model is named like an error component; rename the class")
    components = {name: {**schema, "title": name} for name, schema in sorted(defs.items())}
    components.update(ERROR_SCHEMAS)
    return key_map, dict(sorted(components.items()))


def _error_response(status: int, codes: list[str], own_codes: bool, route_text: str | None = None) -> dict[str, Any]:
    text = _STATUS_TEXT[status] + (": " + ", ".join(codes) if codes else "")
    if route_text:
        text += ("; " if codes else ": ") + route_text
    elif own_codes and 400 <= status < 500 and status not in (401, 415, 429):
        text += ("; or " if codes else ": ") + "one of the route's x-error-codes"
    out: dict[str, Any] = {"description": text, "content": {"application/json": {"schema": _ERROR_REF}}}
    if status == 401:
        out["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"},
                                               "description": "Bearer realm=\"village-credit\""}}
    return out


def build(specs: list[RouteSpec], *, version: str) -> dict[str, Any]:
    """The OpenAPI document for ``specs``; deterministic (sorted) so that it diffs cleanly. Raises ValueError
    when a component name is not a public name (see the module docstring)."""
    key_map, components = _components(specs)

    def ref(model: type[BaseModel]) -> dict[str, Any]:
        return key_map[(model, "validation" if _is_input(model, specs) else "serialization")]

    paths: dict[str, dict[str, Any]] = {}
    for s in sorted(specs, key=lambda s: (s.path, s.method)):
        paths.setdefault(s.path, {})[s.method.lower()] = _operation(s, ref)
    return {
        "openapi": "3.1.0",
        "info": {"title": "village-credit API", "version": version, "description": API_DESCRIPTION},
        "servers": [{"url": "http://127.0.0.1:8000", "description": "local stack (make run)"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                       "description": "Cognito ID token (RS256); locally: village-credit login USER"}}},
    }


#: the document's ``info.description``: what holds for every route
API_DESCRIPTION = (
    "Whole-village credit (整村授信) platform: households, ratings, credit lines, "
    "drawdowns and post-loan management. Money is answered as a decimal string in "
    "CNY and sent as a plain decimal string or number (at most 2 decimals, no "
    "exponent); a location is a GeoPoint of JSON numbers. Requests are read strictly: "
    "booleans, integers and dates (YYYY-MM-DD) of their own type only, typed text "
    "without control or invisible characters (TEXT_INVISIBLE_CHARACTER). Every error, "
    "of every status, has the "
    "`Error` body with a stable `error.code`. A path the API does not have answers "
    "404 `ROUTE_NOT_FOUND`; a method a path does not have answers 405 "
    "`METHOD_NOT_ALLOWED` with an `Allow` header on the local stack, and 404 "
    "`ROUTE_NOT_FOUND` behind API Gateway (which cannot tell the two apart).")


def _operation(s: RouteSpec, ref: Callable[[type[BaseModel]], dict[str, Any]]) -> dict[str, Any]:
    """The operation object of one route (``ref`` gives a model's component reference)."""
    op: dict[str, Any] = {"operationId": s.name, "summary": s.summary, "tags": [s.tag]}
    params = _parameters(s)
    if params:
        op["parameters"] = params
    if s.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(s.body)}}}
    op["responses"] = _responses(s, ref)
    if s.public:
        op["security"] = []
    if s.errors:
        op["x-error-codes"] = list(s.errors)
    return op


def _parameters(s: RouteSpec) -> list[dict[str, Any]]:
    """Path parameters, then the query model's fields, then ``Idempotency-Key`` for an idempotent route."""
    params = [{"name": p, "in": "path", "required": True,
               "schema": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_PARAMETER_BYTES},
               "description": f"at most {MAX_PATH_PARAMETER_BYTES} bytes as UTF-8"}
              for p in re.findall(r"{(\w+)}", s.path)]
    if s.query is not None:
        qs = s.query.model_json_schema()
        for name, prop in qs.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in qs.get("required", []),
                           "schema": {k: v for k, v in prop.items() if k != "title"}})
    if s.idempotent:
        params.append({"name": "Idempotency-Key", "in": "header", "required": True,
                       "schema": {"type": "string", "minLength": 1, "maxLength": 128},
                       "description": IDEMPOTENCY_KEY_TEXT})
    return params


def _responses(s: RouteSpec, ref: Callable[[type[BaseModel]], dict[str, Any]]) -> dict[str, Any]:
    """Every status the route answers (:func:`statuses_of`): success content, or the ``Error`` body."""
    ok_content: dict[str, Any]
    if s.response is not None:
        ok_content = {"application/json": {"schema": ref(s.response)}}
    elif s.content_types != ("application/json",):
        ok_content = {ct: {"schema": {"type": "string"}} for ct in s.content_types}
    else:
        ok_content = {"application/json": {"schema": {"type": "object"}}}
    responses: dict[str, Any] = {}
    for status, codes in statuses_of(s).items():
        if status < 400:
            responses[str(status)] = {"description": s.responses.get(status, _STATUS_TEXT.get(status, "OK")),
                                      "content": ok_content}
        else:
            responses[str(status)] = _error_response(status, codes, bool(s.errors), s.responses.get(status))
    return responses


def _is_input(model: type[BaseModel], specs: list[RouteSpec]) -> bool:
    return any(s.body is model for s in specs)
