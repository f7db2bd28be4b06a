"""Authentication (RS256 JWT from the Cognito user pool) and authorisation (roles, permissions,
organisation scope).

Tokens are verified against the pool's JWKS in every mode: on AWS API Gateway's Cognito authorizer
checks them first and this module checks again; locally (where Chalice does not enforce Cognito
authorizers) this module is the only check. We accept ID tokens (``token_use = id``) because
they carry the ``custom:role``, ``custom:org_id`` and ``custom:household_id`` attributes.

Scope rule (enforced by the repositories, not by handlers): staff see items whose ``org_path``
lies in the subtree of their own organisation; a farmer sees only items of their own household.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from chalicelib.errors import Forbidden, NotFound, Unauthenticated

ROLES = ("account_manager", "reviewer", "approver", "institution_admin", "province_admin", "auditor", "farmer")

#: Role → permissions. The single definition of who may do what (by kind of action; *which* data is
#: decided by the organisation scope). ``pii:reveal`` shows full ID and phone numbers (audited).
#: ``parameter:write`` is the province's alone: parameters are global (the province union's products, the LPR
#: table, the rules of every institution), so an institution admin may read them but not add versions
#: (``chalicelib.data.parameters.put_version`` also requires the province root scope).
_EVERYONE = frozenset({"me:read"})
PERMISSIONS: dict[str, frozenset[str]] = {
    "account_manager": frozenset({
        "org:read", "household:read", "household:write", "import:write", "image:write",
        "rating:read", "rating:adjust", "campaign:run", "campaign:read", "line:read",
        "loan:read", "loan:apply", "loan:investigate", "task:decide", "warning:read", "warning:handle",
        "inspection:write", "pii:reveal"}),
    "reviewer": frozenset({
        "org:read", "household:read", "rating:read", "rating:approve", "campaign:read", "line:read",
        "loan:read", "loan:review", "task:decide", "warning:read"}),
    "approver": frozenset({
        "org:read", "household:read", "rating:read", "rating:approve", "campaign:read", "campaign:confirm",
        "line:read", "loan:read", "loan:approve", "task:decide", "warning:read"}),
    "institution_admin": frozenset({
        "org:read", "household:read", "rating:read", "campaign:read", "campaign:confirm", "campaign:run",
        "campaign:cancel",
        "line:read", "loan:read", "warning:read", "warning:handle", "parameter:read", "audit:read", "report:read"}),
    "province_admin": frozenset({
        "org:read", "household:read", "rating:read", "campaign:read", "line:read", "loan:read",
        "warning:read", "parameter:read", "parameter:write", "audit:read", "report:read"}),
    "auditor": frozenset({
        "org:read", "household:read", "rating:read", "campaign:read", "line:read", "loan:read",
        "warning:read", "parameter:read", "audit:read", "report:read"}),
    "farmer": frozenset({"household:read", "line:read", "loan:read", "loan:apply", "rating:read"}),
}
PERMISSIONS = {role: perms | _EVERYONE for role, perms in PERMISSIONS.items()}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller.

    ``org_path`` is the materialised path of the caller's organisation (``/JL/JL-220122/…/``);
    ``household_id`` is set for farmers only.
    """

    user_id: str
    username: str
    role: str
    org_id: str
    org_path: str
    household_id: str | None = None

    @property
    def permissions(self) -> frozenset[str]:
        return PERMISSIONS.get(self.role, frozenset())

    def require(self, permission: str) -> None:
        """Raise Forbidden(``PERMISSION_DENIED``) unless the role grants ``permission``."""
        if permission not in self.permissions:
            raise Forbidden(f"role {self.role} may not {permission}", code="PERMISSION_DENIED")

    def can_see(self, *, org_path: str | None, household_id: str | None = None) -> bool:
        """True when an item with this ``org_path`` (and owning ``household_id``) is in scope."""
        if self.role == "farmer":
            return household_id is not None and household_id == self.household_id
        return bool(org_path) and org_path.startswith(self.org_path)

    def ensure_can_see(self, item: dict[str, Any] | None, what: str) -> dict[str, Any]:
        """Return ``item`` if it exists and is in scope; otherwise NotFound (never reveal existence)."""
        if item is None or not self.can_see(org_path=item.get("org_path"), household_id=item.get("household_id")):
            raise NotFound(f"{what} not found", code=f"{what.upper()}_NOT_FOUND")
        return item

    def ensure_may_change(self, item: dict[str, Any], what: str) -> dict[str, Any]:
        """Return ``item`` (already in scope) if the caller may change it: an account manager only what is
        assigned to them (``assignee_id``) or to nobody; other roles holding the route's permission act on
        anything in their scope. Otherwise Forbidden ``NOT_ASSIGNEE`` (field ``assignee_id``)."""
        assignee = item.get("assignee_id")
        if self.role == "account_manager" and assignee and assignee != self.user_id:
            raise Forbidden(f"this {what} is assigned to another account manager", code="NOT_ASSIGNEE",
                            field="assignee_id")
        return item


SYSTEM = Principal(user_id="system", username="system", role="province_admin", org_id="JL", org_path="/JL/")
"""The principal of batch jobs and state-machine tasks (acts on behalf of the platform)."""


@cache
def _jwks_client(url: str):
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

    from chalicelib.settings import get_settings

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
        from chalicelib.data import orgs

        org = orgs.get_org(org_id)
        if org is None:
            raise Forbidden("this account's organisation does not exist", code="ACCOUNT_NOT_PROVISIONED")
        org_path = org["org_path"]
        _ORG_CACHE[org_id] = (time.monotonic() + 300, org_path)
    household_id = claims.get("custom:household_id") or None
    if role == "farmer" and not household_id:
        raise Forbidden("this farmer account is not linked to a household", code="ACCOUNT_NOT_PROVISIONED")
    return Principal(user_id=claims["sub"], username=claims.get("cognito:username", claims["sub"]),
                     role=role, org_id=org_id, org_path=org_path, household_id=household_id)
