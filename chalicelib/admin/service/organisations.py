"""The organisation tree as the staff see it (``/orgs/...``, ``/institutions/{id}/villages``): reads scoped to the
caller, over the admin context's repository (:mod:`chalicelib.admin.data.orgs`)."""
from __future__ import annotations

from typing import Any

from chalicelib.admin.data import orgs
from chalicelib.platform.access import Principal
from chalicelib.platform.dynamo.pages import Page
from chalicelib.platform.errors import NotFound


def organisation(principal: Principal, org_id: str) -> dict[str, Any]:
    """The organisation ``org_id`` when the caller may see it: one inside the caller's scope, or one above it
    (an outlet's user sees its branch and institution). Raises NotFound ``ORG_NOT_FOUND`` otherwise (the same
    answer for a foreign and an unknown id)."""
    item = orgs.get_org(org_id)
    if item is None or not (principal.can_see(org_path=item["org_path"]) or item["org_path"] in principal.org_path):
        raise NotFound("organisation not found", code="ORG_NOT_FOUND", field="org_id")
    return item


def children(principal: Principal, org_id: str) -> list[dict[str, Any]]:
    """The child organisations of ``org_id`` in the caller's scope; NotFound ``ORG_NOT_FOUND``."""
    return orgs.list_children(principal, org_id)


def villages(principal: Principal, institution_id: str, *, limit: int, cursor: str | None) -> Page:
    """One page of the villages the institution serves, in the caller's scope; NotFound ``ORG_NOT_FOUND``,
    ValidationFailed ``INVALID_CURSOR``."""
    return orgs.list_villages(principal, institution_id, limit=limit, cursor=cursor)
