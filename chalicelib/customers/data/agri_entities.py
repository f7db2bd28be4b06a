"""Agricultural entity repository (新型农业经营主体): :class:`~chalicelib.customers.data.models.AgriEntity` items
and their :class:`~chalicelib.customers.data.models.UsccIndex` (the USCC unique across the province: written in the
entity's transaction, conditioned on absence or the same entity). Readers get dicts (``state()``)."""
from __future__ import annotations

from typing import Any

from chalicelib.platform.access import Principal
from chalicelib.platform.dynamo.pages import Page
from chalicelib.platform.errors import Conflict, NotFound


def not_found() -> NotFound:
    """404 ``AGRI_ENTITY_NOT_FOUND``."""
    return NotFound("agricultural entity not found", code="AGRI_ENTITY_NOT_FOUND", field="entity_id")


def get(principal: Principal, entity_id: str) -> dict[str, Any]:
    """The entity if in the caller's scope (its village's organisation, or the farmer who represents it)."""
    from chalicelib.customers.data.models import AgriEntity

    found = AgriEntity.find(*AgriEntity.key(entity_id))
    if found is None or not principal.can_see(org_path=found.org_path, household_id=found.household_id):
        raise not_found()
    return found.state()


def list_village(principal: Principal, village_code: str, *, limit: int, cursor: str | None) -> Page:
    """One page of a village's entities the caller may see (the caller checked the village)."""
    from chalicelib.customers.data.models import AgriEntity
    from chalicelib.platform.dynamo import pages

    page = pages.model_query(AgriEntity, index="GSI1", pk_value=AgriEntity.village_partition(village_code),
                             limit=limit, cursor=cursor, where=pages.scope_filter(principal),
                             visible=lambda e: principal.can_see(org_path=e.org_path, household_id=e.household_id))
    return Page([e.state() for e in page.items], page.cursor)


def _audit_sides(before: dict[str, Any] | None, view: dict[str, Any]
                 ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    if before is None:
        return None, view
    return ({k: before.get(k) for k in view if before.get(k) != view.get(k)},
            {k: v for k, v in view.items() if before.get(k) != v})


def write(item: dict[str, Any], *, expected: int | None, before: dict[str, Any] | None,
          actor_id: str) -> dict[str, Any]:
    """Write an entity (``item``: its attributes; ``expected`` the version it is based on, ``None`` to create)
    with its USCC index entry (moved when the USCC changed) and audit record; returns it as stored. Raises
    Conflict ``USCC_EXISTS``, ``AGRI_ENTITY_EXISTS``, ``VERSION_CONFLICT``."""
    from chalicelib.customers.data.models import AgriEntity, UsccIndex
    from chalicelib.platform.clock import utc_now_iso
    from chalicelib.platform.dynamo.tx import Audit, Transaction, exists_error, version_conflict

    now = utc_now_iso()
    stored = {**item, "updated_at": now, "version": 1 if expected is None else expected + 1}
    tx = Transaction()
    if expected is None:
        stored.setdefault("created_at", now)
        tx.save(AgriEntity.of(stored), condition=AgriEntity.PK.does_not_exist(), on_fail=exists_error("agri_entity"))
    else:
        tx.save(AgriEntity.of(stored), condition=AgriEntity.version == expected,
                on_fail=version_conflict("agri_entity", expected))
    entity_id = item["entity_id"]
    if before is None or before["uscc"] != item["uscc"]:
        tx.save(UsccIndex(uscc=item["uscc"], entity_id=entity_id),
                condition=UsccIndex.PK.does_not_exist() | (UsccIndex.entity_id == entity_id),
                on_fail=Conflict("an agricultural entity with this USCC is already filed", code="USCC_EXISTS",
                                 field="uscc"))
        if before is not None:
            tx.delete_model(UsccIndex(uscc=before["uscc"], entity_id=entity_id),
                            condition=UsccIndex.entity_id == entity_id)
    audit_before, audit_after = _audit_sides(before, stored)
    tx.record(Audit(entity_type="agri_entity", entity_id=entity_id, action="update" if before else "create",
                    actor_id=actor_id, before=audit_before, after=audit_after, org_path=item["org_path"]))
    tx.commit()
    return stored
