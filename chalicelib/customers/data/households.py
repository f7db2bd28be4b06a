"""Household repository (农户档案): reads and writes of the household items.

Items: the models :class:`~chalicelib.customers.data.models.Household` (the household, its village and account
manager indexes) and :class:`~chalicelib.customers.data.models.ResidentIndex` (one person, one household); their
keys are theirs. Readers get households as dicts (``Household.state()``, keys left out): the shape other contexts
rely on (chalicelib.customers.public). The items are built by :mod:`chalicelib.customers.data.household_items`.

One person, one household: every member's index item is written in the same transaction as the household with
``attribute_not_exists(PK) OR household_id = :same``; a member leaving the household deletes it with
``household_id = :same``. No read-then-write decides uniqueness.

Scope: :func:`get` checks ``Principal.can_see`` (404 out of scope). :func:`get_unscoped` and
:func:`list_by_village` are for system tasks (rating, campaign).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from chalicelib.customers.data.household_items import Plan, audit_diff
from chalicelib.platform.access import Principal
from chalicelib.platform.dynamo.pages import Page
from chalicelib.platform.errors import Conflict, NotFound

if TYPE_CHECKING:
    from chalicelib.platform.dynamo.tx import Transaction

#: an item another context adds to a household's transaction (a PAD sync receipt): the model, its condition and
#: the error its failed condition stands for
Extra = tuple[Any, Any, Exception | None]


def not_found(field: str | None = "household_id") -> NotFound:
    """404 ``HOUSEHOLD_NOT_FOUND`` (the same for a foreign and an unknown household)."""
    return NotFound("household not found", code="HOUSEHOLD_NOT_FOUND", field=field)


def person_conflict(index: int | None) -> Conflict:
    """409 ``PERSON_IN_OTHER_HOUSEHOLD`` naming the member (``members[i].resident_id``)."""
    return Conflict("此人已属于另一户 (this person already belongs to another household)",
                    code="PERSON_IN_OTHER_HOUSEHOLD",
                    field=f"members[{index}].resident_id" if index is not None else "resident_id")


def version_conflict(expected: int | None = None, current: int | None = None, *,
                     field: str = "version") -> Conflict:
    """409 ``VERSION_CONFLICT``: the household changed since the caller read it."""
    detail = f" (expected version {expected}, current {current})" if expected is not None and current else ""
    return Conflict(f"household was changed by someone else{detail}; reload and retry", code="VERSION_CONFLICT",
                    field=field)


# ------------------------------------------------------------------------------------------ reads

def get_unscoped(household_id: str) -> dict[str, Any] | None:
    """The household (dict), or ``None`` (system tasks only: no scope check)."""
    from chalicelib.customers.data.models import Household

    found = Household.find(*Household.key(household_id))
    return found.state() if found else None


def get(principal: Principal, household_id: str) -> dict[str, Any]:
    """The household if it exists and is in the caller's scope; NotFound ``HOUSEHOLD_NOT_FOUND`` otherwise."""
    item = get_unscoped(household_id)
    if item is None or not principal.can_see(org_path=item.get("org_path"), household_id=item.get("household_id")):
        raise not_found()
    return item


def list_by_village(village_code: str) -> list[dict[str, Any]]:
    """Every household of a village (unscoped; for the campaign and rating tasks)."""
    from chalicelib.customers.data.models import Household
    from chalicelib.platform.dynamo import pages

    found = pages.model_query_all(Household, index="GSI1", pk_value=Household.village_partition(village_code),
                                  sk_op="begins_with", sk_value=Household.VILLAGE_SORT_PREFIX)
    return [h.state() for h in found]


def list_village_page(principal: Principal, village_code: str, *, status: str | None = None,
                      collected_by: str | None = None, limit: int = 50, cursor: str | None = None) -> Page:
    """One page of a village's households (dicts) in the caller's scope (a farmer: their own household only),
    filtered by status / collector. Households the caller may not see are read past on the server: never named,
    never counted. The caller checks the village first."""
    from chalicelib.customers.data.models import Household
    from chalicelib.platform.dynamo import pages

    where = pages.scope_filter(principal)
    for n, (attr, value) in enumerate(sorted((k, v) for k, v in (("status", status),
                                                                 ("collected_by", collected_by)) if v)):
        where = where & pages.Filter(f"#f{n} = :f{n}", {f"#f{n}": attr}, {f":f{n}": value})
    page = pages.model_query(Household, index="GSI1", pk_value=Household.village_partition(village_code),
                             sk_op="begins_with", sk_value=Household.VILLAGE_SORT_PREFIX, limit=limit,
                             cursor=cursor, where=where,
                             visible=lambda h: principal.can_see(org_path=h.org_path, household_id=h.household_id))
    return Page([h.state() for h in page.items], page.cursor)


def rid_owner(resident_id_hash: str) -> dict[str, Any] | None:
    """The one-person-one-household index entry of a keyed resident-ID hash (``{household_id, member_id}``), or
    ``None``."""
    from chalicelib.customers.data.models import ResidentIndex

    found = ResidentIndex.find(*ResidentIndex.key(resident_id_hash))
    return {"household_id": found.household_id, "member_id": found.member_id} if found else None


def rid_owners(hashes: Iterable[str]) -> dict[str, str]:
    """Keyed resident-ID hash → the id of the household the person belongs to, for those filed (BatchGetItem)."""
    from chalicelib.customers.data.models import ResidentIndex
    from chalicelib.platform.dynamo import batch

    found = batch.get_models(ResidentIndex, [ResidentIndex.key(h) for h in hashes])
    return {r.resident_id_hash: r.household_id for r in found}


def households_by_id(ids: Iterable[str], *, attributes: tuple[str, ...] | None = None) -> dict[str, dict[str, Any]]:
    """Households (dicts) by id, 100 per BatchGetItem; ids without a household are left out. ``attributes``
    limits what is read (a projection: then the dicts hold those attributes only)."""
    from chalicelib.customers.data.models import Household
    from chalicelib.platform.dynamo import batch
    from chalicelib.platform.dynamo.items import from_item

    keys = [Household.key(i) for i in ids]
    if not attributes:
        return {h.household_id: h.state() for h in batch.get_models(Household, keys)}
    wire = _projected(Household.Meta.table_name, keys, ("household_id", *attributes))
    return {item["household_id"]: item for item in map(from_item, wire)}


def _projected(table: str, keys: list[tuple[str, str]], attributes: tuple[str, ...]) -> list[dict[str, Any]]:
    from chalicelib.platform.dynamo.items import client, to_item

    unique = list(dict.fromkeys(keys))
    names = {f"#a{i}": a for i, a in enumerate(attributes)}
    out: list[dict[str, Any]] = []
    for i in range(0, len(unique), 100):
        request: dict[str, Any] = {table: {"Keys": [to_item({"PK": h, "SK": r}) for h, r in unique[i:i + 100]],
                                           "ConsistentRead": True, "ProjectionExpression": ", ".join(names),
                                           "ExpressionAttributeNames": names}}
        for _ in range(10):
            resp = client().batch_get_item(RequestItems=request)
            out.extend(resp.get("Responses", {}).get(table, []))
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise RuntimeError("DynamoDB kept keys unprocessed after 10 attempts")
    return out


# ------------------------------------------------------------------------------------------ writes

def _save_household(tx: Transaction, item: dict[str, Any], expected_version: int | None) -> dict[str, Any]:
    """Add the put of household ``item`` with its optimistic lock to ``tx``; returns the item as stored (version
    1 on create, expected + 1 otherwise; ``updated_at`` now)."""
    from chalicelib.customers.data.models import Household
    from chalicelib.platform.clock import utc_now_iso
    from chalicelib.platform.dynamo.tx import exists_error

    now = utc_now_iso()
    stored = {**item, "updated_at": now, "version": 1 if expected_version is None else expected_version + 1}
    if expected_version is None:
        stored.setdefault("created_at", now)
        tx.save(Household.of(stored), condition=Household.PK.does_not_exist(), on_fail=exists_error("household"))
    else:
        tx.save(Household.of(stored), condition=Household.version == expected_version,
                on_fail=version_conflict(expected_version))
    return stored


def add_to_tx(tx: Transaction, plan: Plan, *, actor_id: str, reason: str | None = None) -> dict[str, Any]:
    """Add a plan's writes (household with version check, index puts/deletes, audit) to ``tx``; returns the
    household as stored."""
    from chalicelib.customers.data.models import ResidentIndex
    from chalicelib.platform.dynamo.tx import Audit

    stored = _save_household(tx, plan.item, plan.expected_version)
    hid = plan.household_id
    for h, member_id, i in plan.rid_puts:
        tx.save(ResidentIndex(resident_id_hash=h, household_id=hid, member_id=member_id),
                condition=ResidentIndex.PK.does_not_exist() | (ResidentIndex.household_id == hid),
                on_fail=person_conflict(i))
    for h in plan.rid_deletes:
        tx.delete_model(ResidentIndex(resident_id_hash=h, household_id=hid), condition=ResidentIndex.household_id == hid,
                        on_fail=Conflict("the household changed meanwhile; reload and retry", code="CONCURRENT_UPDATE"))
    before, after = audit_diff(plan.before, stored)
    tx.record(Audit(entity_type="household", entity_id=hid, action=plan.action, actor_id=actor_id, before=before,
                    after=after, org_path=plan.item["org_path"], reason=reason))
    return stored


def _add_extra(tx: Transaction, extra: Iterable[Extra]) -> None:
    for model, condition, on_fail in extra:
        tx.save(model, condition=condition, on_fail=on_fail)


def write_plan(plan: Plan, *, actor_id: str, extra: Iterable[Extra] = ()) -> dict[str, Any]:
    """Write one household change (and the ``extra`` items) in one transaction; returns the stored household.
    Raises Conflict ``HOUSEHOLD_EXISTS`` / ``VERSION_CONFLICT`` / ``PERSON_IN_OTHER_HOUSEHOLD`` or the extra
    item's error."""
    from chalicelib.platform.dynamo.tx import Transaction

    tx = Transaction()
    stored = add_to_tx(tx, plan, actor_id=actor_id)
    _add_extra(tx, extra)
    tx.commit()
    return stored


def write_unchanged(household_id: str, version: int, extra: Iterable[Extra]) -> None:
    """Write ``extra`` items on the condition that the household is still at ``version`` (nothing to change in
    it, but e.g. a sync receipt must be written). Raises Conflict ``VERSION_CONFLICT``."""
    from chalicelib.customers.data.models import Household
    from chalicelib.platform.dynamo.tx import Transaction

    tx = Transaction()
    tx.condition_check(Household, *Household.key(household_id), Household.version == version,
                       on_fail=version_conflict())
    _add_extra(tx, extra)
    tx.commit()


def write_status(stored: dict[str, Any], item: dict[str, Any], *, actor_id: str) -> dict[str, Any]:
    """Write a household whose status changed (``item``, from ``stored``) with its audit record."""
    from chalicelib.platform.dynamo.tx import Audit, Transaction

    tx = Transaction()
    out = _save_household(tx, item, stored["version"])
    tx.record(Audit(entity_type="household", entity_id=stored["household_id"], action=f"status_{item['status']}",
                    actor_id=actor_id, before={"status": stored["status"]}, after={"status": item["status"]},
                    org_path=stored["org_path"]))
    tx.commit()
    return out


def write_move(src: tuple[dict[str, Any], dict[str, Any]], dst: tuple[dict[str, Any], dict[str, Any]],
               member: dict[str, Any], moved: dict[str, Any], *, actor_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Move a person between households in one transaction: both households (``(stored, new item)`` each, with
    their versions), the person's index entry (conditioned on still naming the source) and two audit records."""
    from chalicelib.customers.data.models import ResidentIndex
    from chalicelib.platform.dynamo.tx import Audit, Transaction

    (src_stored, src_item), (dst_stored, dst_item) = src, dst
    src_id, dst_id = src_stored["household_id"], dst_stored["household_id"]
    tx = Transaction()
    out_src = _save_household(tx, src_item, src_stored["version"])
    out_dst = _save_household(tx, dst_item, dst_stored["version"])
    entry = ResidentIndex(resident_id_hash=member["resident_id_hash"], household_id=src_id)
    tx.update_model(entry, [ResidentIndex.household_id.set(dst_id), ResidentIndex.member_id.set(moved["member_id"])],
                    condition=ResidentIndex.household_id == src_id,
                    on_fail=Conflict("the person's household changed meanwhile; reload and retry",
                                     code="CONCURRENT_UPDATE"))
    for hid, item, action, other in ((src_id, src_item, "member_moved_out", dst_id),
                                     (dst_id, dst_item, "member_moved_in", src_id)):
        tx.record(Audit(entity_type="household", entity_id=hid, action=action, actor_id=actor_id, before=None,
                        after={"member_id": moved["member_id"], "name": member["name"], "other_household": other},
                        org_path=item["org_path"]))
    tx.commit()
    return out_src, out_dst


def record_reveal(item: dict[str, Any], member_ids: list[str], *, actor_id: str) -> None:
    """The audit record of a reveal of members' personal numbers (written before anything is answered)."""
    from chalicelib.platform.dynamo.tx import Audit, Transaction

    Transaction().record(Audit(
        entity_type="household", entity_id=item["household_id"], action="pii_reveal", actor_id=actor_id,
        before=None, after={"members": sorted(member_ids), "fields": ["resident_id", "phone"]},
        org_path=item["org_path"], reason="explicit reveal request")).commit()


def seed(items: list[dict[str, Any]]) -> int:
    """Write complete household items (built by :mod:`chalicelib.customers.data.household_items`, versions set)
    with their index entries, unconditionally and without audit records: seeding a new stack, test data and
    benchmarks only. Returns the number of items written."""
    from chalicelib.customers.data.models import Household, ResidentIndex
    from chalicelib.platform.dynamo import batch

    models: list[Any] = []
    for item in items:
        models.append(Household.of(item))
        models += [ResidentIndex(resident_id_hash=m["resident_id_hash"], household_id=item["household_id"],
                                 member_id=m["member_id"]) for m in item["members"] if m.get("resident_id_hash")]
    return batch.put_models(models)
