"""Route registry: one decorator declares a route's method, path, permission, request and response
models, and whether it is idempotent. From that single declaration come

* the Chalice route on the subsystem's Blueprint,
* authentication (JWT), permission check, body/query validation (pydantic → 422 with field errors; request
  models derive from ``chalicelib.platform.inputs.RequestModel``: strict types, see there),
* ``Idempotency-Key`` handling for money-moving POSTs (Powertools idempotency, DynamoDB-backed),
* page cursors sealed for the caller and the query (``chalicelib.platform.dynamo.cursors``) on every route with a
``cursor``,
* the mapping of :class:`~chalicelib.platform.errors.DomainError` to HTTP (the one place that does it),
* the OpenAPI operation (``chalicelib.platform.http.openapi``).

Handlers stay thin: ``def handler(req: Request, **path) -> BaseModel | dict``.
"""
from __future__ import annotations

import json
import re
import types
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from chalice import Blueprint, Response
from pydantic import BaseModel, Field, ValidationError

from chalicelib.platform.access import Principal
from chalicelib.platform.authn import principal_from_claims, verify_token
from chalicelib.platform.dynamo import cursors
from chalicelib.platform.errors import (
    BadRequest,
    Conflict,
    DomainError,
    FieldError,
    UnsupportedMediaType,
    ValidationFailed,
    pydantic_error_code,
)
from chalicelib.platform.inputs import parsed_by

JSON_HEADERS: dict[str, str | list[str]] = {"Content-Type": "application/json"}

#: The ``cursor`` query parameter of a paged route, and the ``cursor`` of its answer (sealed by this layer).
PageCursor = Annotated[str | None, parsed_by("chalicelib.platform.dynamo.cursors.unseal"), Field(max_length=2048, description=(
    "the `cursor` of the previous page, as answered: valid 24 hours, for the same caller and the same path and "
    "filters (`limit` may change); anything else is 400 INVALID_CURSOR"))]
NextCursor = Annotated[str | None, Field(description=(
    "opaque cursor of the next page (absent on the last page): pass it back as `cursor`"))]
#: Chalice answers a content type outside a route's list itself, with its own body (``{"Code": ...}``):
#: every content type is let through and :func:`dispatch` answers 415 ``UNSUPPORTED_MEDIA_TYPE`` in the
#: error model for anything but JSON on a route that takes a body.
ACCEPTED_CONTENT_TYPES = ["*/*"]


@dataclass
class RouteSpec:
    """Everything known about one route; the OpenAPI generator reads these."""

    path: str
    method: str
    name: str
    summary: str
    tag: str
    permission: str | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    public: bool
    idempotent: bool
    errors: tuple[str, ...]
    content_type: str | tuple[str, ...] = "application/json"
    responses: dict[int, str] = field(default_factory=dict)

    @property
    def content_types(self) -> tuple[str, ...]:
        """The media types of the success response."""
        return (self.content_type,) if isinstance(self.content_type, str) else self.content_type


@dataclass
class Request:
    """What a handler gets: the caller, the validated body/query, raw headers and the correlation id."""

    principal: Principal | None
    body: Any
    query: Any
    headers: dict[str, str]
    correlation_id: str
    raw: Any = field(repr=False, default=None)

    @property
    def caller(self) -> Principal:
        """The authenticated caller. A route that names a permission is only dispatched after the route layer
        authenticated one, so its handler always has it; raises RuntimeError on a public route (no caller)."""
        if self.principal is None:
            raise RuntimeError("the route has no authenticated caller (a public route?)")
        return self.principal


class Api:
    """A subsystem's routes: records a :class:`RouteSpec` and handler per route; :meth:`blueprint`
    builds a Chalice Blueprint from them (a fresh one per app: Chalice consumes a Blueprint's
    registration arguments, so one Blueprint cannot be mounted on two apps)."""

    def __init__(self, name: str, tag: str):
        self.name = name
        self.tag = tag
        self.specs: list[RouteSpec] = []
        self._handlers: list[tuple[RouteSpec, Callable[..., Any]]] = []

    def route(self, path: str, method: str, *, summary: str, permission: str | None = None,
              body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              response: type[BaseModel] | None = None, status: int = 200, public: bool = False,
              idempotent: bool = False, errors: tuple[str, ...] = (),
              content_type: str | tuple[str, ...] = "application/json",
              responses: dict[int, str] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare a route. ``permission`` is required unless ``public``; ``idempotent`` requires the
        ``Idempotency-Key`` header and replays the first response for a repeated key. ``errors``: the
        route's own error codes (documented as ``x-error-codes``). ``responses``: statuses the route answers
        besides ``status`` and those every route of its kind answers (``chalicelib.platform.http.openapi.statuses_of``),
        each with what it means here, e.g. 200 beside 202 for a request that found its work already started
        (the handler answers ``(status, model)`` with the same response model), or 409 on a GET of a resource
        that is not ready; also what a common 4xx means for this route. ``content_type``: media type(s) of the
        success response.

        Every JSON body is parsed with numbers that have a fraction or an exponent (and the non-standard
        ``NaN``/``Infinity``) as ``Decimal``, not float: nothing is rounded before the model sees the digits the
        client wrote, and the model refuses what it cannot keep (``chalicelib.platform.inputs``: ``1e5`` as an
        amount, a non-finite number anywhere)."""
        if not public and not permission:
            raise ValueError(f"{method} {path}: a non-public route needs a permission")

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            spec = RouteSpec(path=path, method=method.upper(), name=fn.__name__, summary=summary, tag=self.tag,
                             permission=permission, body=body, query=query, response=response, status=status,
                             public=public, idempotent=idempotent, errors=errors, content_type=content_type,
                             responses=dict(responses or {}))
            self.specs.append(spec)
            self._handlers.append((spec, fn))
            return fn

        return decorator

    def blueprint(self) -> Blueprint:
        """A new Chalice Blueprint serving every declared route."""
        bp = Blueprint(f"chalicelib.api.{self.name}")
        for spec, fn in self._handlers:
            bp.route(spec.path, methods=[spec.method], name=spec.name,
                     content_types=ACCEPTED_CONTENT_TYPES)(_view(bp, spec, fn))
        return bp


def _view(bp: Blueprint, spec: RouteSpec, fn: Callable[..., Any]) -> Callable[..., Response]:
    def view(**path_params: str) -> Response:
        return dispatch(spec, fn, bp.current_request, path_params, getattr(bp, "lambda_context", None))

    view.__name__ = spec.name
    return view


def error_response(err: DomainError, correlation_id: str) -> Response:
    """The one mapping from a domain error to an HTTP response."""
    body = err.to_dict()
    body["error"]["correlation_id"] = correlation_id
    headers = dict(JSON_HEADERS)
    if err.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="village-credit"'
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=err.status, headers=headers)


#: Chalice's own error codes (``chalice.app.error_response``, ``{"Code": ..., "Message": ...}``) → ours.
_FRAMEWORK_CODES = {"MethodNotAllowedError": "METHOD_NOT_ALLOWED", "UnsupportedMediaType": "UNSUPPORTED_MEDIA_TYPE",
                    "BadRequestError": "BAD_REQUEST", "BadRequest": "BAD_REQUEST", "NotFoundError": "ROUTE_NOT_FOUND",
                    "InternalServerError": "INTERNAL"}


def error_body(code: str, message: str, correlation_id: str) -> str:
    """The JSON text of an error without a :class:`DomainError` (framework and server answers)."""
    return json.dumps({"error": {"code": code, "message": message, "correlation_id": correlation_id}})


def framework_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Chalice HTTP middleware (registered by ``chalicelib.routes.mount``): the answers Chalice gives
    itself, before or after a view (405 for a method a path does not have, with ``Allow``; an uncaught
    error), get the product's error body instead of Chalice's ``{"Code", "Message"}``; status and headers
    are kept."""
    response = get_response(event)
    body = response.body
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return response
    headers = {k: v for k, v in (response.headers or {}).items() if k.lower() != "content-type"}
    context = getattr(event, "context", None) or {}
    correlation_id = _headers(event).get("x-correlation-id") or context.get("requestId") or uuid.uuid4().hex
    code = _FRAMEWORK_CODES.get(str(body["Code"]), "INTERNAL" if response.status_code >= 500 else "BAD_REQUEST")
    return Response(body=error_body(code, str(body["Message"]), correlation_id), status_code=response.status_code,
                    headers={**headers, **JSON_HEADERS})


#: An integer in a query string: decimal digits, an optional leading minus (no ``+``, spaces, ``_``, ``1.0``).
_QUERY_INT = re.compile(r"-?[0-9]+")
_QUERY_BOOL = {"true": True, "false": False}


def _scalar_type(annotation: Any) -> Any:
    """``int`` for ``int``, ``int | None``, ``Annotated[int, ...]``; likewise ``bool``; else what is left."""
    if typing.get_origin(annotation) is Annotated:
        return _scalar_type(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _scalar_type(inner[0]) if len(inner) == 1 else None
    return annotation


def query_values(model: type[BaseModel], params: dict[str, str]) -> dict[str, Any]:
    """A query string's parameters as the (strict) query model reads them: the text of an ``int`` parameter
    that is decimal digits (:data:`_QUERY_INT`) becomes the integer, the text ``true``/``false`` of a ``bool``
    one the boolean; anything else stays the text it is, which strict validation refuses (``FIELD_INT_TYPE``,
    ``FIELD_BOOL_TYPE``). Dates are read by their own field type (``chalicelib.platform.inputs.IsoDate``)."""
    out: dict[str, Any] = dict(params)
    for name, value in params.items():
        info = model.model_fields.get(name)
        if info is None or not isinstance(value, str):
            continue
        kind = _scalar_type(info.annotation)
        if kind is bool and value in _QUERY_BOOL:
            out[name] = _QUERY_BOOL[value]
        elif kind is int and _QUERY_INT.fullmatch(value):
            try:
                out[name] = int(value)
            except ValueError:  # more digits than Python converts (4300): left as text, refused
                pass
    return out


def _parse(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except RecursionError:
        raise BadRequest(f"the {where} is nested too deeply", code="INVALID_JSON") from None
    except ValidationError as exc:
        fields = [FieldError(field=_loc(e["loc"]) or where, code=pydantic_error_code(e["type"]), message=e["msg"])
                  for e in exc.errors()]
        raise ValidationFailed(f"the {where} is not valid", code="REQUEST_VALIDATION", fields=fields) from None


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _headers(req: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in (req.headers or {}).items()}


#: Longest path parameter accepted (bytes): every id of the product is far shorter, and DynamoDB refuses
#: sort keys over 1,024 bytes (a longer id would reach it as a 500).
MAX_PATH_PARAMETER_BYTES = 256


#: Query parameters that do not identify the query a cursor continues (they may change from page to page).
CURSOR_FREE_PARAMETERS = frozenset({"cursor", "limit"})


def cursor_binding(spec: RouteSpec, principal: Principal | None, path_params: dict[str, str],
                   query: BaseModel | None) -> cursors.Binding | None:
    """What the cursors of a paged route are bound to (``None`` for a route without a ``cursor`` query
    parameter): the caller, the route, and its path parameters and filters. A handler receives the inner
    continuation in ``req.query.cursor`` and returns one in the response's ``cursor``; this layer seals it
    (``chalicelib.platform.dynamo.cursors``), so no route can answer an unsealed cursor."""
    if query is None or "cursor" not in type(query).model_fields:
        return None
    params = {f"path.{k}": v for k, v in (path_params or {}).items()}
    params.update({f"query.{k}": v for k, v in query.model_dump(mode="json").items()
                   if k not in CURSOR_FREE_PARAMETERS})
    return cursors.Binding(caller=principal.user_id if principal else "-", listing=f"{spec.method} {spec.path}",
                           params=params)


def dispatch(spec: RouteSpec, fn: Callable[..., Any], req: Any, path_params: dict[str, str],
             lambda_context: Any = None) -> Response:
    """Run one request through auth, validation, idempotency and the handler; never lets a
    client-caused error out as a 500."""
    headers = _headers(req)
    context = getattr(req, "context", None) or {}
    correlation_id = headers.get("x-correlation-id") or context.get("requestId") or uuid.uuid4().hex
    from chalicelib.platform.observability import logger

    log = logger()
    log.set_correlation_id(correlation_id)
    try:
        principal = None
        if not spec.public:
            principal = principal_from_claims(verify_token(headers.get("authorization")))
            principal.require(spec.permission or "")
        for name, value in (path_params or {}).items():
            if len(str(value).encode("utf-8")) > MAX_PATH_PARAMETER_BYTES:  # ids are short; DynamoDB keys are not
                raise BadRequest(f"{name} is too long", code="INVALID_PATH_PARAMETER", field=name)
        body = None
        if spec.body is not None:
            raw = req.raw_body or b""
            content_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
            if content_type != "application/json":
                raise UnsupportedMediaType("send the request body as application/json",
                                           code="UNSUPPORTED_MEDIA_TYPE", field="Content-Type")
            try:
                data = json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=Decimal) if raw else None
            except (UnicodeDecodeError, ValueError):  # JSONDecodeError, or an integer of more than 4300 digits
                raise BadRequest("the request body is not valid JSON", code="INVALID_JSON") from None
            except RecursionError:
                raise BadRequest("the request body is nested too deeply", code="INVALID_JSON") from None
            if data is None:
                raise BadRequest("a JSON request body is required", code="BODY_REQUIRED")
            body = _parse(spec.body, data, "body")
        query = (_parse(spec.query, query_values(spec.query, dict(req.query_params or {})), "query")
                 if spec.query else None)
        binding = cursor_binding(spec, principal, path_params, query)
        if binding is not None and query is not None and getattr(query, "cursor", None):
            query = query.model_copy(update={"cursor": cursors.unseal(binding, query.cursor)})  # type: ignore[attr-defined]  # a paged route's query model has a cursor (cursor_binding checked it)
        request = Request(principal=principal, body=body, query=query, headers=headers,
                          correlation_id=correlation_id, raw=req)
        if spec.idempotent:
            status, payload = _idempotent_call(spec, fn, request, path_params, lambda_context)
        else:
            status, payload = _call(spec, fn, request, path_params)
        if isinstance(payload, Response):
            return payload
        if binding is not None and isinstance(payload, dict) and payload.get("cursor") is not None:
            payload = {**payload, "cursor": cursors.seal(binding, payload["cursor"])}
        return Response(body=json.dumps(payload, ensure_ascii=False), status_code=status, headers=JSON_HEADERS)
    except DomainError as err:
        log.info("request refused", extra={"code": err.code, "status": err.status, "route": spec.name})
        return error_response(err, correlation_id)
    except Exception:  # a fault of ours, not of the client: 500 with the correlation id, details only in the log
        log.exception("unhandled error", extra={"route": spec.name})
        return Response(body=error_body("INTERNAL", "internal error; quote the correlation id", correlation_id),
                        status_code=500, headers=JSON_HEADERS)


def _call(spec: RouteSpec, fn: Callable[..., Any], request: Request, path_params: dict[str, str]) -> tuple[int, Any]:
    result = fn(request, **path_params)
    if isinstance(result, Response):
        return result.status_code, result
    status = spec.status
    if isinstance(result, tuple):
        status, result = result
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json", exclude_none=True)
    return status, result


def _idempotent_call(spec: RouteSpec, fn: Callable[..., Any], request: Request, path_params: dict[str, str],
                     lambda_context: Any) -> tuple[int, Any]:
    key = request.headers.get("idempotency-key", "").strip()
    if not key:
        raise BadRequest("this operation moves money: send an Idempotency-Key header",
                         code="IDEMPOTENCY_KEY_REQUIRED", field="Idempotency-Key")
    if len(key) > 128:
        raise BadRequest("Idempotency-Key is longer than 128 characters", code="IDEMPOTENCY_KEY_INVALID",
                         field="Idempotency-Key")
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    from chalicelib.platform.http import idempotency

    record = {"key": f"{request.principal.user_id if request.principal else '-'}:{spec.method}:{spec.path}:{key}",
              "payload": {"path": path_params,
                          "body": request.body.model_dump(mode="json") if request.body is not None else None}}

    def run(record: dict[str, Any]) -> dict[str, Any]:
        status, payload = _call(spec, fn, request, path_params)
        return {"status": status, "payload": payload}

    try:
        out = idempotency.run_once(run, record, lambda_context)
    except IdempotencyValidationError:
        raise ValidationFailed("this Idempotency-Key was already used with a different request",
                               code="IDEMPOTENCY_KEY_REUSED", field="Idempotency-Key") from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict("a request with this Idempotency-Key is still in progress; retry shortly",
                       code="IDEMPOTENCY_IN_PROGRESS", field="Idempotency-Key") from None
    return out["status"], out["payload"]
