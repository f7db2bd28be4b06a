"""Authorisation: the caller (:class:`Principal`), roles and their permissions, organisation scope.

Who the caller is comes from :mod:`chalicelib.platform.authn` (the verified token); this module says what a
caller may do and see.

Scope rule (enforced by the repositories, not by handlers): staff see items whose ``org_path``
lies in the subtree of their own organisation; a farmer sees only items of their own household.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.platform.errors import Forbidden, NotFound

ROLES = ("account_manager", "reviewer", "approver", "institution_admin", "province_admin", "auditor", "farmer")

#: Role → permissions. The single definition of who may do what (by kind of action; *which* data is
#: decided by the organisation scope). ``pii:reveal`` shows full ID and phone numbers (audited).
#: ``parameter:write`` is the province's alone: parameters are global (the province union's products, the LPR
#: table, the rules of every institution), so an institution admin may read them but not add versions
#: (``chalicelib.platform.parameters.put_version`` also requires the province root scope).
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
        return org_path is not None and bool(org_path) and org_path.startswith(self.org_path)

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
