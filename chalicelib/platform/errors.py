"""One error model for the whole product.

Every error a client can cause is a :class:`DomainError` subclass with a stable machine-readable
``code``, a human ``message`` and optional per-field details. The HTTP layer maps the class's
``status`` to the response status in one place (``chalicelib.platform.http.routing``); nothing matches on
message text.

Response body shape (all 4xx)::

    {"error": {"code": "HOUSEHOLD_NOT_FOUND", "message": "...",
               "fields": [{"field": "members[0].resident_id", "code": "ID_CHECK_DIGIT", "message": "..."}]}}
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field.

    ``field`` is a dotted path into the request (``members[0].resident_id``); ``code`` is a stable
    upper-snake code (``ID_CHECK_DIGIT``); ``message`` is for people.
    """

    field: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


_PYDANTIC_CODES = {"missing": "FIELD_REQUIRED", "extra_forbidden": "FIELD_UNKNOWN", "value_error": "FIELD_INVALID"}


def pydantic_error_code(error_type: str) -> str:
    """The stable code of one pydantic error (``ValidationError.errors()[i]["type"]``), the one mapping used
    by the API and the roster report: ``missing`` → ``FIELD_REQUIRED``, ``extra_forbidden`` →
    ``FIELD_UNKNOWN``, ``value_error`` → ``FIELD_INVALID``; a product rule raised inside a model with its
    code as the error type (upper snake, e.g. ``TEXT_INVISIBLE_CHARACTER``) keeps that code; any other
    type ``t`` → ``FIELD_<T>`` (``string_too_long`` → ``FIELD_STRING_TOO_LONG``)."""
    if error_type in _PYDANTIC_CODES:
        return _PYDANTIC_CODES[error_type]
    if error_type.isupper():
        return error_type
    return "FIELD_" + error_type.upper().replace(".", "_")


class DomainError(Exception):
    """Base of every error a client can cause. Maps to ``status`` (a 4xx) over HTTP.

    Subclasses set ``status`` and a default ``code``; callers may pass a more specific code.
    """

    status: int = 400
    code: str = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 fields: list[FieldError] | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields: list[FieldError] = list(fields or [])
        if field and not self.fields:
            self.fields.append(FieldError(field, self.code, message))
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = [f.to_dict() for f in self.fields]
        if self.details:
            body["details"] = self.details
        return {"error": body}


class BadRequest(DomainError):
    """Malformed request: not JSON, wrong content type, bad query parameter (400)."""

    status = 400
    code = "BAD_REQUEST"


class Unauthenticated(DomainError):
    """Missing, expired or invalid bearer token (401)."""

    status = 401
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    """The caller is known but may not do this (403)."""

    status = 403
    code = "FORBIDDEN"


class NotFound(DomainError):
    """The resource does not exist or is outside the caller's scope (404).

    Out-of-scope reads answer 404, not 403, so that one institution cannot probe for another's ids.
    """

    status = 404
    code = "NOT_FOUND"


class Conflict(DomainError):
    """The request conflicts with current state: stale version, duplicate, wrong status (409)."""

    status = 409
    code = "CONFLICT"


class ValidationFailed(DomainError):
    """The request is well-formed but its content breaks a rule (422)."""

    status = 422
    code = "VALIDATION_FAILED"


class UnsupportedMediaType(DomainError):
    """The request body is not JSON (415)."""

    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class TooManyRequests(DomainError):
    """Throttled, or an idempotent request with the same key is still in progress (429)."""

    status = 429
    code = "TOO_MANY_REQUESTS"
