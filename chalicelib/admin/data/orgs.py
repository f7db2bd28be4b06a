"""Organisation tree and village assignment.

Items (core table):
- ``ORG#<org_id>`` / ``ORG``: ``name``, ``level`` (province | institution | branch | outlet),
  ``parent_id``, ``org_path`` (``/JL/JL-220122/…/``), ``county_code``; GSI1 ``ORGCHILD#<parent_id>``.
- ``VILLAGE#<code>`` / ``VILLAGE``: the 12-digit division code assigned to an organisation
  (``org_id``, ``org_path``, names); GSI1 ``ORGVILLAGE#<institution_id>`` / code.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.errors import NotFound


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().core_table


#: ``household_id`` → the village code of that household, or ``None``: the customers context knows households, and
#: the admin context imports no other context, so the composition root hands this lookup over (chalicelib.routes).
HouseholdVillage = Callable[[str], str | None]
_household_village_lookup: HouseholdVillage | None = None


def use_household_village(lookup: HouseholdVillage) -> None:
    """Wire the household → village lookup (the composition root does, once per process)."""
    global _household_village_lookup
    _household_village_lookup = lookup


def _household_village(household_id: str) -> str | None:
    if _household_village_lookup is None:
        raise RuntimeError("no household-village lookup: set up the app through chalicelib.routes.wire")
    return _household_village_lookup(household_id)


def get_org(org_id: str) -> dict[str, Any] | None:
    """The organisation item, or ``None``."""
    return dynamo.get(_table(), f"ORG#{org_id}", "ORG")


def org_item(*, org_id: str, name: str, level: str, parent: dict[str, Any] | None,
             county_code: str | None = None) -> dict[str, Any]:
    """Build an organisation item under ``parent`` (``None`` for the province union)."""
    path = (parent["org_path"] if parent else "/") + f"{org_id}/"
    item = {"PK": f"ORG#{org_id}", "SK": "ORG", "kind": "org", "org_id": org_id, "name": name, "level": level,
            "parent_id": parent["org_id"] if parent else None, "org_path": path, "county_code": county_code,
            "version": 1}
    if parent:
        item.update(GSI1PK=f"ORGCHILD#{parent['org_id']}", GSI1SK=org_id)
    return item


def village_item(village: Any, org: dict[str, Any]) -> dict[str, Any]:
    """Assignment of a division-code village (``chalicelib.reference.divisions.Village``) to ``org``."""
    institution_id = org["org_path"].strip("/").split("/")[1]
    return {"PK": f"VILLAGE#{village.code}", "SK": "VILLAGE", "kind": "village", "village_code": village.code,
            "village_name": village.name, "township_code": village.township_code,
            "township_name": village.township_name, "county_code": village.county_code,
            "county_name": village.county_name, "org_id": org["org_id"], "org_path": org["org_path"],
            "GSI1PK": f"ORGVILLAGE#{institution_id}", "GSI1SK": village.code}


def get_village(principal: Principal, code: str) -> dict[str, Any]:
    """The village assignment if in the caller's scope (a farmer: their own household's village, in which they
    see their own household only); NotFound(``VILLAGE_NOT_FOUND``, field ``village_code``) otherwise, the same
    answer for a village served by another organisation and for a code that is no village."""
    item = dynamo.get(_table(), f"VILLAGE#{code}", "VILLAGE")
    if principal.role == "farmer":
        own = _household_village(principal.household_id) if item is not None and principal.household_id else None
        visible = own is not None and own == code
    else:
        visible = item is not None and principal.can_see(org_path=item["org_path"])
    if not visible:
        raise village_not_found()
    return item


def village_not_found() -> NotFound:
    """The one answer for a village the caller may not use (whoever serves it, if anyone: the message does not
    echo the code, so the answer is the same for every code)."""
    return NotFound("village not found among those your organisation serves", code="VILLAGE_NOT_FOUND",
                    field="village_code")


def village_assignment(code: str) -> dict[str, Any] | None:
    """Unscoped lookup for system tasks."""
    return dynamo.get(_table(), f"VILLAGE#{code}", "VILLAGE")


def list_children(principal: Principal, org_id: str) -> list[dict[str, Any]]:
    """Direct children of an organisation in the caller's scope."""
    parent = principal.ensure_can_see(get_org(org_id), "org")
    items = dynamo.query_all(_table(), index="GSI1", pk_value=f"ORGCHILD#{parent['org_id']}")
    return [i for i in items if principal.can_see(org_path=i["org_path"])]


def list_villages(principal: Principal, institution_id: str, *, limit: int, cursor: str | None) -> dynamo.Page:
    """Villages assigned within one institution, filtered to the caller's scope."""
    inst = get_org(institution_id)
    related = inst is not None and (principal.can_see(org_path=inst["org_path"])
                                    or inst["org_path"] in principal.org_path)
    if not related or principal.role == "farmer":
        raise NotFound("organisation not found", code="ORG_NOT_FOUND", field="institution_id")
    return dynamo.query(_table(), index="GSI1", pk_value=f"ORGVILLAGE#{institution_id}", limit=limit, cursor=cursor,
                        where=dynamo.scope_filter(principal), visible=lambda i: principal.can_see(org_path=i["org_path"]))
