"""Agricultural entity repository (新型农业经营主体).

Items (core table)::

    ENT#<entity_id> / ENT      the entity: name, uscc, kind, village_code, org_path/org_id (of the
                               village), household_id (the legal representative's household, so a
                               farmer sees the entity he represents), legal_representative
                               {household_id, member_id, name}, operations, assets, liabilities, version
    USCC#<uscc> / USCC         uniqueness index: entity_id (same transaction, attribute_not_exists OR same)

GSI1 ``VILLAGEENT#<code>`` / ``ENT#<id>`` lists a village's entities.
"""
from __future__ import annotations

import uuid
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.errors import Conflict, NotFound, ValidationFailed


def _settings():
    from chalicelib.platform.settings import get_settings

    return get_settings()


def _not_found() -> NotFound:
    return NotFound("agricultural entity not found", code="AGRI_ENTITY_NOT_FOUND", field="entity_id")


def get(principal: Principal, entity_id: str) -> dict[str, Any]:
    item = dynamo.get(_settings().core_table, f"ENT#{entity_id}", "ENT")
    if item is None or not principal.can_see(org_path=item.get("org_path"), household_id=item.get("household_id")):
        raise _not_found()
    return item


def list_village(principal: Principal, village_code: str, *, limit: int, cursor: str | None) -> dynamo.Page:
    from chalicelib.admin import public as orgs

    orgs.get_village(principal, village_code)
    return dynamo.query(_settings().core_table, index="GSI1", pk_value=f"VILLAGEENT#{village_code}",
                        limit=limit, cursor=cursor, where=dynamo.scope_filter(principal),
                        visible=lambda i: principal.can_see(org_path=i.get("org_path"),
                                                            household_id=i.get("household_id")))


def _legal_rep(principal: Principal, rep: Any) -> dict[str, Any]:
    from chalicelib.customers.data import households

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
    item = dict(base or {})
    for k in ("version", "updated_at"):
        item.pop(k, None)
    item.update(body)
    if body.get("registered_on") is not None:
        item["registered_on"] = body["registered_on"].isoformat()
    item.update({"PK": f"ENT#{entity_id}", "SK": "ENT", "item_type": "agri_entity", "entity_id": entity_id,
                 "uscc": uscc, "org_id": village["org_id"], "org_path": village["org_path"],
                 "household_id": rep["household_id"], "legal_representative": rep,
                 "GSI1PK": f"VILLAGEENT#{inp.village_code}", "GSI1SK": f"ENT#{entity_id}"})
    item.setdefault("created_by", actor_id)
    return item


def _write(principal: Principal, item: dict[str, Any], *, expected: int | None, before: dict[str, Any] | None) -> dict:
    s = _settings()
    tx = dynamo.TxBuilder()
    stored = dynamo.put_versioned(tx, s.core_table, item, expected_version=expected, entity="agri_entity")
    if before is None or before["uscc"] != item["uscc"]:
        tx.put(s.core_table, {"PK": f"USCC#{item['uscc']}", "SK": "USCC", "entity_id": item["entity_id"]},
               condition="attribute_not_exists(PK) OR entity_id = :id", values={":id": item["entity_id"]},
               on_fail=Conflict("an agricultural entity with this USCC is already filed", code="USCC_EXISTS",
                                field="uscc"))
        if before is not None:
            tx.delete(s.core_table, {"PK": f"USCC#{before['uscc']}", "SK": "USCC"},
                      condition="entity_id = :id", values={":id": item["entity_id"]})
    view = {k: v for k, v in stored.items() if k not in ("PK", "SK") and not k.startswith("GSI")}
    tx.audit(s.audit_table, dynamo.Audit(entity_type="agri_entity", entity_id=item["entity_id"],
                                         action="update" if before else "create", actor_id=principal.user_id,
                                         before=({k: before.get(k) for k in view if before.get(k) != view.get(k)}
                                                 if before else None),
                                         after=({k: v for k, v in view.items() if before.get(k) != v}
                                                if before else view),
                                         org_path=item["org_path"]))
    tx.commit()
    return stored


def create(principal: Principal, inp: Any) -> dict[str, Any]:
    """File an agricultural entity (USCC unique across the province)."""
    from chalicelib.admin import public as orgs
    from chalicelib.customers.domain.agri_entities import validate
    from chalicelib.platform.clock import business_date

    uscc = validate(inp, today=business_date())
    village = orgs.get_village(principal, inp.village_code)
    rep = _legal_rep(principal, inp.legal_representative)
    entity_id = str(uuid.uuid4())
    return _write(principal, _build(entity_id, inp, uscc, village, rep, None, principal.user_id),
                  expected=None, before=None)


def update(principal: Principal, entity_id: str, inp: Any, *, expected_version: int) -> dict[str, Any]:
    """Replace an entity's content (optimistic lock)."""
    from chalicelib.admin import public as orgs
    from chalicelib.customers.domain.agri_entities import validate
    from chalicelib.platform.clock import business_date

    stored = get(principal, entity_id)
    if stored["version"] != expected_version:
        raise Conflict(f"the entity was changed by someone else (current version {stored['version']})",
                       code="VERSION_CONFLICT", field="version")
    uscc = validate(inp, today=business_date())
    village = orgs.get_village(principal, inp.village_code)
    rep = _legal_rep(principal, inp.legal_representative)
    return _write(principal, _build(entity_id, inp, uscc, village, rep, stored, principal.user_id),
                  expected=expected_version, before=stored)
