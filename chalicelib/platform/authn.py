"""Authentication: the caller's RS256 ID token (Cognito user pool) verified, and the :class:`Principal` built
from its claims.

Tokens are verified against the pool's JWKS in every mode: on AWS API Gateway's Cognito authorizer checks them
first and this module checks again; locally (where Chalice does not enforce Cognito authorizers) this module is
the only check. We accept ID tokens (``token_use = id``) because they carry the ``custom:role``,
``custom:org_id`` and ``custom:household_id`` attributes.

A principal carries its organisation's path (``org_path``), which the organisation tree knows, not the token.
This module imports no context: the composition root (``chalicelib.routes.wire``) hands it the lookup
(:func:`use_org_path_resolver`) when the app is set up.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import cache
from typing import Any

from chalicelib.platform.access import ROLES, Principal
from chalicelib.platform.errors import Forbidden, Unauthenticated

#: ``org_id`` → the organisation's ``org_path``, or ``None`` when there is no such organisation.
OrgPathResolver = Callable[[str], str | None]
_resolver: OrgPathResolver | None = None
_lock = threading.Lock()


def use_org_path_resolver(resolver: OrgPathResolver) -> None:
    """Wire the organisation-path lookup (the composition root does, once per process; idempotent)."""
    global _resolver
    with _lock:
        _resolver = resolver


@cache
def _jwks_client(url: str) -> Any:
    from jwt import PyJWKClient

    return PyJWKClient(url, cache_keys=True, lifespan=3600)


def verify_token(authorization: str | None) -> dict[str, Any]:
    """Verify ``Authorization: Bearer <id token>`` and return its claims.

    Checks the RS256 signature against the pool's JWKS, ``iss``, ``aud`` (the app client), ``exp``
    and ``token_use``. Raises Unauthenticated with codes ``TOKEN_MISSING``, ``TOKEN_EXPIRED`` or
    ``TOKEN_INVALID``.
    """
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthenticated("a bearer token is required", code="TOKEN_MISSING")
    token = authorization.split(" ", 1)[1].strip()
    import jwt

    from chalicelib.platform.settings import get_settings

    settings = get_settings()
    try:
        key = _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=settings.user_pool_client_id,
                            issuer=settings.jwt_issuer, options={"require": ["exp", "iss", "sub"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired", code="TOKEN_EXPIRED") from None
    except (jwt.PyJWTError, ValueError):
        raise Unauthenticated("the token is not valid", code="TOKEN_INVALID") from None
    if claims.get("token_use") != "id":
        raise Unauthenticated("an ID token is required", code="TOKEN_INVALID")
    return claims


_ORG_CACHE: dict[str, tuple[float, str]] = {}


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Build the Principal; the organisation path is looked up (and cached 5 minutes).

    Raises Forbidden(``ACCOUNT_NOT_PROVISIONED``) for an unknown role or organisation.
    """
    role = claims.get("custom:role")
    org_id = claims.get("custom:org_id")
    if role not in ROLES or not org_id:
        raise Forbidden("this account has no role or organisation", code="ACCOUNT_NOT_PROVISIONED")
    cached = _ORG_CACHE.get(org_id)
    if cached and cached[0] > time.monotonic():
        org_path = cached[1]
    else:
        if _resolver is None:
            raise RuntimeError("no organisation-path resolver: set up the app through chalicelib.routes")
        found = _resolver(org_id)
        if found is None:
            raise Forbidden("this account's organisation does not exist", code="ACCOUNT_NOT_PROVISIONED")
        org_path = found
        _ORG_CACHE[org_id] = (time.monotonic() + 300, org_path)
    household_id = claims.get("custom:household_id") or None
    if role == "farmer" and not household_id:
        raise Forbidden("this farmer account is not linked to a household", code="ACCOUNT_NOT_PROVISIONED")
    return Principal(user_id=claims["sub"], username=claims.get("cognito:username", claims["sub"]),
                     role=role, org_id=org_id, org_path=org_path, household_id=household_id)
