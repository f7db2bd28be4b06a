"""Organisation tree and village assignment.

Items: the models :class:`~chalicelib.admin.data.models.Organisation` and
:class:`~chalicelib.admin.data.models.VillageAssignment` (their keys and indexes are theirs). Readers get them as
dicts (``Model.state()``): the shapes other contexts rely on (chalicelib.admin.public).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.platform.access import Principal
from chalicelib.platform.dynamo.pages import Page
from chalicelib.platform.errors import NotFound

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
    """The organisation (:class:`~chalicelib.admin.data.models.Organisation` as a dict), or ``None``."""
    from chalicelib.admin.data.models import Organisation

    org = Organisation.find(*Organisation.key(org_id))
    return org.state() if org else None


def _village(code: str) -> dict[str, Any] | None:
    from chalicelib.admin.data.models import VillageAssignment

    found = VillageAssignment.find(*VillageAssignment.key(code))
    return found.state() if found else None


def put_tree(orgs: list[Any], villages: list[Any]) -> int:
    """Write organisations and village assignments (models, unconditionally: the seed of a new stack); returns
    the number of items written."""
    from chalicelib.platform.dynamo import batch

    return batch.put_models([*orgs, *villages])


def institutions(root_id: str) -> list[str]:
    """The ids of the institutions directly below the organisation ``root_id`` (the province union), sorted."""
    from chalicelib.admin.data.models import Organisation
    from chalicelib.platform.dynamo import pages

    children = pages.model_query_all(Organisation, index="GSI1", pk_value=Organisation.children_partition(root_id))
    return sorted(o.org_id for o in children if o.level == "institution")


def get_village(principal: Principal, code: str) -> dict[str, Any]:
    """The village assignment if in the caller's scope (a farmer: their own household's village, in which they
    see their own household only); NotFound(``VILLAGE_NOT_FOUND``, field ``village_code``) otherwise, the same
    answer for a village served by another organisation and for a code that is no village."""
    item = _village(code)
    if principal.role == "farmer":
        own = _household_village(principal.household_id) if item is not None and principal.household_id else None
        visible = own is not None and own == code
    else:
        visible = item is not None and principal.can_see(org_path=item["org_path"])
    if not visible or item is None:
        raise village_not_found()
    return item


def village_not_found() -> NotFound:
    """The one answer for a village the caller may not use (whoever serves it, if anyone: the message does not
    echo the code, so the answer is the same for every code)."""
    return NotFound("village not found among those your organisation serves", code="VILLAGE_NOT_FOUND",
                    field="village_code")


def village_assignment(code: str) -> dict[str, Any] | None:
    """Unscoped lookup for system tasks."""
    return _village(code)


def list_children(principal: Principal, org_id: str) -> list[dict[str, Any]]:
    """Direct children of an organisation in the caller's scope."""
    from chalicelib.admin.data.models import Organisation
    from chalicelib.platform.dynamo import pages

    parent = principal.ensure_can_see(get_org(org_id), "org")
    children = pages.model_query_all(Organisation, index="GSI1", pk_value=Organisation.children_partition(parent["org_id"]))
    return [o.state() for o in children if principal.can_see(org_path=o.org_path)]


def list_villages(principal: Principal, institution_id: str, *, limit: int, cursor: str | None) -> Page:
    """Villages assigned within one institution, filtered to the caller's scope."""
    inst = get_org(institution_id)
    related = inst is not None and (principal.can_see(org_path=inst["org_path"])
                                    or inst["org_path"] in principal.org_path)
    if not related or principal.role == "farmer":
        raise NotFound("organisation not found", code="ORG_NOT_FOUND", field="institution_id")
    from chalicelib.admin.data.models import VillageAssignment
    from chalicelib.platform.dynamo import pages

    page = pages.model_query(VillageAssignment, index="GSI1", pk_value=VillageAssignment.institution_partition(
        institution_id), limit=limit, cursor=cursor, where=pages.scope_filter(principal),
        visible=lambda v: principal.can_see(org_path=v.org_path))
    return pages.Page([v.state() for v in page.items], page.cursor)
