"""Agricultural entities (新型农业经营主体: family farms, cooperatives, ...): filing and changing them, with the
legal representative a member of a household filed in the caller's scope and the USCC unique across the
province."""
from __future__ import annotations

import uuid
from typing import Any

from chalicelib.customers.data import agri_entities as repo
from chalicelib.customers.data import households
from chalicelib.platform.access import Principal
from chalicelib.platform.dynamo.pages import Page
from chalicelib.platform.errors import Conflict, NotFound, ValidationFailed


def get(principal: Principal, entity_id: str) -> dict[str, Any]:
    """The entity in the caller's scope (404 ``AGRI_ENTITY_NOT_FOUND``)."""
    return repo.get(principal, entity_id)


def village_page(principal: Principal, village_code: str, *, limit: int, cursor: str | None) -> Page:
    """One page of a village's entities; the village must be served within the caller's organisation (404
    ``VILLAGE_NOT_FOUND``)."""
    from chalicelib.admin import public as orgs

    orgs.get_village(principal, village_code)
    return repo.list_village(principal, village_code, limit=limit, cursor=cursor)


def _legal_rep(principal: Principal, rep: Any) -> dict[str, Any]:
    try:
        hh = households.get(principal, rep.household_id)
    except NotFound:
        raise ValidationFailed("the legal representative's household is not filed in your scope",
                               code="LEGAL_REP_NOT_FOUND", field="legal_representative.household_id") from None
    member = next((m for m in hh["members"] if m["member_id"] == rep.member_id), None)
    if member is None:
        raise ValidationFailed("the legal representative is not a member of that household",
                               code="LEGAL_REP_NOT_FOUND", field="legal_representative.member_id")
    return {"household_id": hh["household_id"], "member_id": member["member_id"], "name": member["name"],
            "resident_id_masked": member.get("resident_id_masked")}


def _build(entity_id: str, inp: Any, uscc: str, village: dict[str, Any], rep: dict[str, Any],
           base: dict[str, Any] | None, actor_id: str) -> dict[str, Any]:
    body = inp.model_dump(exclude={"legal_representative", "uscc"})
    item = {k: v for k, v in (base or {}).items() if k not in ("version", "updated_at")}
    item.update(body)
    if body.get("registered_on") is not None:
        item["registered_on"] = body["registered_on"].isoformat()
    item.update({"entity_id": entity_id, "uscc": uscc, "org_id": village["org_id"], "org_path": village["org_path"],
                 "household_id": rep["household_id"], "legal_representative": rep})
    item.setdefault("created_by", actor_id)
    return {k: v for k, v in item.items() if v is not None}


def _checked(principal: Principal, inp: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    from chalicelib.admin import public as orgs
    from chalicelib.customers.domain.agri_entities import validate
    from chalicelib.platform.clock import business_date

    uscc = validate(inp, today=business_date())
    village = orgs.get_village(principal, inp.village_code)
    return uscc, village, _legal_rep(principal, inp.legal_representative)


def create(principal: Principal, inp: Any) -> dict[str, Any]:
    """File an agricultural entity (an ``AgriEntityIn``). Raises ValidationFailed ``AGRI_ENTITY_INVALID`` /
    ``LEGAL_REP_NOT_FOUND``, NotFound ``VILLAGE_NOT_FOUND``, Conflict ``USCC_EXISTS``."""
    uscc, village, rep = _checked(principal, inp)
    entity_id = str(uuid.uuid4())
    return repo.write(_build(entity_id, inp, uscc, village, rep, None, principal.user_id), expected=None,
                      before=None, actor_id=principal.user_id)


def update(principal: Principal, entity_id: str, inp: Any, *, expected_version: int) -> dict[str, Any]:
    """Replace an entity's content (optimistic lock): as :func:`create`, plus Conflict ``VERSION_CONFLICT``."""
    stored = repo.get(principal, entity_id)
    if stored["version"] != expected_version:
        raise Conflict(f"the entity was changed by someone else (current version {stored['version']})",
                       code="VERSION_CONFLICT", field="version")
    uscc, village, rep = _checked(principal, inp)
    return repo.write(_build(entity_id, inp, uscc, village, rep, stored, principal.user_id),
                      expected=expected_version, before=stored, actor_id=principal.user_id)
