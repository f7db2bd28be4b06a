"""Household repository (农户档案): the only code that builds household keys.

Items (core table)::

    HH#<household_id> / HH        the household (attributes: see below)
    RID#<keyed hash> / RID        one-person-one-household index: household_id, member_id
    HH#<household_id> / IMG#<id>  image metadata (chalicelib.customers.data.images)
    SYNC#<user>#<op_id> / SYNC    receipt of an applied PAD sync operation

Household attributes: ``household_id``, ``village_code`` (+ village/township/county names),
``village_group``, ``org_path`` and ``org_id`` (copied from the village assignment), ``status``
(draft | submitted | verified), ``version``, ``data_source`` (roster_import | door_to_door |
self_service), ``collected_by`` (user id), ``head_member_id``, ``head_name``, ``member_count``,
``labourer_count``, ``members`` (list; personal numbers only as ``*_hash`` / ``*_masked`` / ``*_enc``),
``assets``, ``liabilities``, ``income``, ``expenses`` (Decimal CNY), ``committee_assessment``,
``repayment_record``, ``blacklisted``, ``gps``, ``address``, ``import_hash`` (keyed hash of the
last imported content), timestamps. GSI1 ``VILLAGE#<code>`` / ``HH#<id>``; GSI2 ``AM#<collected_by>``
/ ``HH#<id>``.

One person, one household: every member's ``RID#<hash>`` item is written in the same transaction
as the household with ``attribute_not_exists(PK) OR household_id = :same``; a member leaving the
household deletes it with ``household_id = :same``. No read-then-write decides uniqueness.

Scope: :func:`get` and every mutation check ``Principal.ensure_can_see`` (404 out of scope).
:func:`get_unscoped` and :func:`list_by_village` are for system tasks (rating, campaign), and
:func:`write_for_system` for system writers (seed data, tests, benchmarks): every household item, theirs
included, is built by :func:`build_item` — there is no other shape.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.errors import Conflict, DomainError, NotFound, ValidationFailed

LABOURER_CAPACITIES = ("full", "partial")


def _settings():
    from chalicelib.platform.settings import get_settings

    return get_settings()


def _table() -> str:
    return _settings().core_table


def _audit_table() -> str:
    return _settings().audit_table


def key(household_id: str) -> dict[str, str]:
    return {"PK": f"HH#{household_id}", "SK": "HH"}


def rid_key(resident_id_hash: str) -> dict[str, str]:
    return {"PK": f"RID#{resident_id_hash}", "SK": "RID"}


def not_found(field: str | None = "household_id") -> NotFound:
    return NotFound("household not found", code="HOUSEHOLD_NOT_FOUND", field=field)


# ------------------------------------------------------------------------------------------ reads

def get_unscoped(household_id: str) -> dict[str, Any] | None:
    """The household item, or ``None`` (system tasks only: no scope check)."""
    return dynamo.get(_table(), f"HH#{household_id}", "HH")


def get(principal: Principal, household_id: str) -> dict[str, Any]:
    """The household if it exists and is in the caller's scope; NotFound ``HOUSEHOLD_NOT_FOUND`` otherwise."""
    item = get_unscoped(household_id)
    if item is None or not principal.can_see(org_path=item.get("org_path"), household_id=item.get("household_id")):
        raise not_found()
    return item


def list_by_village(village_code: str) -> list[dict[str, Any]]:
    """Every household of a village (unscoped; for the campaign and rating tasks)."""
    return dynamo.query_all(_table(), index="GSI1", pk_value=f"VILLAGE#{village_code}", sk_prefix="HH#")


def list_village_page(principal: Principal, village_code: str, *, status: str | None = None,
                      collected_by: str | None = None, limit: int = 50, cursor: str | None = None) -> dynamo.Page:
    """One page of a village's households in the caller's scope (a farmer: their own household only),
    filtered by status / collector.

    The village must be served within the caller's organisation (404 ``VILLAGE_NOT_FOUND``).
    Pages hold up to ``limit`` items; the cursor continues after the last item returned, and households the
    caller may not see are read past on the server (``dynamo.query_page``): never named, never counted.
    """
    from chalicelib.admin import public as orgs

    orgs.get_village(principal, village_code)
    where = dynamo.scope_filter(principal)
    for n, (attr, value) in enumerate(sorted((k, v) for k, v in (("status", status),
                                                                 ("collected_by", collected_by)) if v)):
        where = where & dynamo.Filter(f"#f{n} = :f{n}", {f"#f{n}": attr}, {f":f{n}": value})
    return dynamo.query(_table(), index="GSI1", pk_value=f"VILLAGE#{village_code}", sk_prefix="HH#", limit=limit,
                        cursor=cursor, where=where,
                        visible=lambda i: principal.can_see(org_path=i.get("org_path"),
                                                            household_id=i.get("household_id")))


def rid_owner(resident_id_hash: str) -> dict[str, Any] | None:
    """The one-person-one-household index item of a keyed resident-ID hash, or ``None``."""
    return dynamo.get(_table(), f"RID#{resident_id_hash}", "RID")


def find_by_resident_id(principal: Principal, resident_id: str) -> dict[str, Any]:
    """The household a person belongs to (exact match through the keyed hash), if in scope."""
    from chalicelib.platform import pii
    from chalicelib.platform.identity import parse_resident_id

    number = parse_resident_id(resident_id).number
    owner = rid_owner(pii.keyed_hash(number, purpose="resident_id"))
    if owner is None:
        raise not_found(field="resident_id")
    try:
        return get(principal, owner["household_id"])
    except NotFound:
        raise not_found(field="resident_id") from None


def batch_get(keys: list[dict[str, str]], *, attributes: tuple[str, ...] | None = None
              ) -> dict[tuple[str, str], dict[str, Any]]:
    """Read many items of the core table by key (BatchGetItem, 100 at a time): ``{(PK, SK): item}``.
    ``attributes`` limits what is read (besides the keys)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    unique = list({(k["PK"], k["SK"]): k for k in keys}.values())
    table = _table()
    spec: dict[str, Any] = {"ConsistentRead": True}
    if attributes:
        names = {f"#a{i}": a for i, a in enumerate(("PK", "SK") + tuple(attributes))}
        spec.update(ProjectionExpression=", ".join(names), ExpressionAttributeNames=names)
    for i in range(0, len(unique), 100):
        request: dict[str, Any] = {table: {"Keys": [dynamo.to_item(k) for k in unique[i:i + 100]], **spec}}
        for _ in range(10):
            resp = dynamo.client().batch_get_item(RequestItems=request)
            for raw in resp.get("Responses", {}).get(table, []):
                item = dynamo.from_item(raw)
                out[(item["PK"], item["SK"])] = item
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise RuntimeError("DynamoDB kept keys unprocessed after 10 attempts")
    return out


# ------------------------------------------------------------------------------------------ building

@dataclass
class Plan:
    """The writes of one household change: the new item, index puts/deletes, the audit record."""

    household_id: str
    item: dict[str, Any]
    expected_version: int | None
    rid_puts: list[tuple[str, str, int]] = field(default_factory=list)  # (hash, member_id, member index)
    rid_deletes: list[str] = field(default_factory=list)
    action: str = "create"
    before: dict[str, Any] | None = None


def _protect_member(m: Any, stored: dict[str, Any] | None) -> dict[str, Any]:
    from chalicelib.platform import pii

    out = m.public()
    if m.keep_resident_id and stored:
        out.update({k: stored[k] for k in ("resident_id_hash", "resident_id_masked", "resident_id_enc")})
    elif m.resident_id:
        if stored and stored.get("resident_id_hash") == pii.keyed_hash(m.resident_id, purpose="resident_id"):
            out.update({k: stored[k] for k in ("resident_id_hash", "resident_id_masked", "resident_id_enc")})
        else:
            out.update(pii.protect_resident_id(m.resident_id))
    if m.keep_phone and stored:
        out.update({k: stored[k] for k in ("phone_hash", "phone_masked", "phone_enc") if k in stored})
    elif m.phone:
        if stored and stored.get("phone_hash") == pii.keyed_hash(m.phone, purpose="phone"):
            out.update({k: stored[k] for k in ("phone_hash", "phone_masked", "phone_enc")})
        else:
            out.update(pii.protect_phone(m.phone))
    return out


def build_members(norm: Any, stored_item: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Protected member dicts for a normalised household; member ids kept for known members
    (by ``member_id`` or by resident ID), new ones derived from the keyed ID hash."""
    stored_members = {m["member_id"]: m for m in (stored_item or {}).get("members", [])}
    by_hash = {m.get("resident_id_hash"): m for m in stored_members.values()}
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for m in norm.members:
        stored = stored_members.get(m.member_id) if m.member_id else None
        if stored is None and m.resident_id:
            from chalicelib.platform import pii

            candidate = by_hash.get(pii.keyed_hash(m.resident_id, purpose="resident_id"))
            if candidate is not None and m.member_id is None:
                stored = candidate
        member = _protect_member(m, stored)
        member_id = m.member_id or (stored["member_id"] if stored else "m-" + member["resident_id_hash"][:12])
        while member_id in used:
            member_id = "m-" + uuid.uuid4().hex[:12]
        used.add(member_id)
        member["member_id"] = member_id
        out.append({k: v for k, v in member.items() if v is not None})
    return out


def build_item(household_id: str, norm: Any, members: list[dict[str, Any]], *, village: dict[str, Any],
               status: str, data_source: str, collected_by: str, base: dict[str, Any] | None = None,
               import_hash: str | None = None) -> dict[str, Any]:
    """The household item (keys, indexes, scope attributes) from a normalised household."""
    head = next(m for m in members if m["relation"] == "head")
    item = dict(base or {})
    for k in ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "version", "updated_at"):
        item.pop(k, None)
    item.update(key(household_id))
    item.update({
        "kind": "household", "household_id": household_id, "village_code": norm.village_code,
        "village_name": village.get("village_name"), "township_name": village.get("township_name"),
        "county_name": village.get("county_name"), "org_id": village["org_id"], "org_path": village["org_path"],
        "status": status, "data_source": data_source, "collected_by": collected_by,
        "head_member_id": head["member_id"], "head_name": head["name"], "members": members,
        "member_count": len(members),
        "labourer_count": sum(1 for m in members if m.get("labour_capacity") in LABOURER_CAPACITIES),
        "GSI1PK": f"VILLAGE#{norm.village_code}", "GSI1SK": f"HH#{household_id}",
        "GSI2PK": f"AM#{collected_by}", "GSI2SK": f"HH#{household_id}",
    })
    for k, v in norm.attributes.items():
        item[k] = v
        if v is None:
            item.pop(k, None)
    if import_hash is not None:
        item["import_hash"] = import_hash
    return item


def plan_change(household_id: str, item: dict[str, Any], stored: dict[str, Any] | None) -> Plan:
    """Index writes needed to go from ``stored`` (None: create) to ``item``."""
    new = {m["resident_id_hash"]: (m["member_id"], i) for i, m in enumerate(item["members"])}
    old = {m["resident_id_hash"] for m in (stored or {}).get("members", [])}
    plan = Plan(household_id=household_id, item=item, expected_version=stored["version"] if stored else None,
                action="update" if stored else "create", before=stored)
    plan.rid_puts = [(h, mid, i) for h, (mid, i) in new.items() if h not in old]
    plan.rid_deletes = [h for h in old if h not in new]
    return plan


def audit_view(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the audit trail keeps of a household: everything but keys, hashes and ciphertexts."""
    if item is None:
        return None
    out = {k: v for k, v in item.items() if k not in ("PK", "SK") and not k.startswith("GSI") and k != "import_hash"}
    out["members"] = [{k: v for k, v in m.items() if not k.endswith("_enc") and not k.endswith("_hash")}
                      for m in item.get("members", [])]
    return out


def _diff(before: dict[str, Any] | None, after: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    if before is None:
        return None, after
    keys = sorted(set(before) | set(after))
    changed = [k for k in keys if before.get(k) != after.get(k) and k not in ("updated_at",)]
    return {k: before.get(k) for k in changed}, {k: after.get(k) for k in changed}


def add_to_tx(tx: dynamo.TxBuilder, plan: Plan, *, actor_id: str, reason: str | None = None) -> dict[str, Any]:
    """Add a plan's writes (household with version check, index puts/deletes, audit) to ``tx``."""
    table = _table()
    stored = dynamo.put_versioned(tx, table, plan.item, expected_version=plan.expected_version, entity="household")
    for h, member_id, i in plan.rid_puts:
        tx.put(table, {**rid_key(h), "kind": "resident_index", "household_id": plan.household_id,
                       "member_id": member_id},
               condition="attribute_not_exists(PK) OR household_id = :hid", values={":hid": plan.household_id},
               on_fail=person_conflict(i))
    for h in plan.rid_deletes:
        tx.delete(table, rid_key(h), condition="household_id = :hid", values={":hid": plan.household_id},
                  on_fail=Conflict("the household changed meanwhile; reload and retry", code="CONCURRENT_UPDATE"))
    before, after = _diff(audit_view(plan.before), audit_view(stored))
    tx.audit(_audit_table(), dynamo.Audit(entity_type="household", entity_id=plan.household_id, action=plan.action,
                                          actor_id=actor_id, before=before, after=after,
                                          org_path=plan.item["org_path"], reason=reason))
    return stored


def person_conflict(index: int | None) -> Conflict:
    return Conflict("此人已属于另一户 (this person already belongs to another household)",
                    code="PERSON_IN_OTHER_HOUSEHOLD",
                    field=f"members[{index}].resident_id" if index is not None else "resident_id")


# ------------------------------------------------------------------------------------------ commands

def _village_for(principal: Principal, village_code: str) -> dict[str, Any]:
    from chalicelib.admin import public as orgs

    village = orgs.get_village(principal, village_code)
    if principal.role == "farmer":
        raise orgs.village_not_found()
    return village


def _normalise(inp: Any, stored: dict[str, Any] | None = None) -> Any:
    from chalicelib.customers.domain.households import normalise
    from chalicelib.platform.clock import business_date

    existing = {m["member_id"]: m for m in (stored or {}).get("members", [])}
    return normalise(inp, today=business_date(), existing=existing)


def create(principal: Principal, inp: Any, *, data_source: str = "door_to_door", household_id: str | None = None,
           extra: Iterable[tuple[str, dict[str, Any], dict[str, Any]]] = ()) -> dict[str, Any]:
    """Create a household (status draft, version 1) from a :class:`HouseholdIn`.

    ``extra``: more puts for the same transaction as ``(table, item, {"condition":..., "values":...})``
    (the PAD sync receipt). Raises ValidationFailed ``HOUSEHOLD_INVALID``, NotFound ``VILLAGE_NOT_FOUND``,
    Conflict ``PERSON_IN_OTHER_HOUSEHOLD`` / ``HOUSEHOLD_EXISTS``.
    """
    norm = _normalise(inp)
    village = _village_for(principal, norm.village_code)
    hid = household_id or str(uuid.uuid4())
    members = build_members(norm, None)
    item = build_item(hid, norm, members, village=village, status="draft", data_source=data_source,
                      collected_by=principal.user_id)
    tx = dynamo.TxBuilder()
    stored = add_to_tx(tx, plan_change(hid, item, None), actor_id=principal.user_id)
    for table, extra_item, cond in extra:
        tx.put(table, extra_item, **cond)
    tx.commit()
    return stored


def update(principal: Principal, household_id: str, inp: Any, *, expected_version: int,
           extra_for: Callable[[bool, int], list[tuple[str, dict[str, Any], dict[str, Any]]]] | None = None,
           action: str = "update") -> dict[str, Any]:
    """Replace a household's content (optimistic lock on ``expected_version``).

    Members named by ``member_id`` keep their stored ID / phone when those are omitted. A content
    change of a submitted or verified household returns it to draft (it must be verified again).
    The village may change only within the caller's scope. Raises as :func:`create`, plus Conflict
    ``VERSION_CONFLICT``. ``extra_for(changed, new_version)`` returns more puts for the same
    transaction (the PAD sync receipt), written even when nothing changed.
    """
    stored = get(principal, household_id)
    _check_version(stored, expected_version)
    norm = _normalise(inp, stored)
    village = stored if norm.village_code == stored["village_code"] else _village_for(principal, norm.village_code)
    village = {"org_id": village["org_id"], "org_path": village["org_path"],
               "village_name": village.get("village_name"), "township_name": village.get("township_name"),
               "county_name": village.get("county_name")}
    members = build_members(norm, stored)
    item = build_item(household_id, norm, members, village=village, status="draft",
                      data_source=stored.get("data_source", "door_to_door"),
                      collected_by=stored.get("collected_by", principal.user_id), base=stored)
    changed = content_changed(stored, item)
    item["status"] = "draft" if changed else stored["status"]
    extra = extra_for(changed, stored["version"] + 1 if changed else stored["version"]) if extra_for else []
    if not changed:
        if extra:  # nothing to change, but the extra items (a sync receipt) must still be written
            tx = dynamo.TxBuilder()
            tx.check(_table(), key(household_id), "#v = :v", names={"#v": "version"},
                     values={":v": stored["version"]},
                     on_fail=Conflict("household was changed by someone else; reload and retry",
                                      code="VERSION_CONFLICT", field="version"))
            for table, extra_item, cond in extra:
                tx.put(table, extra_item, **cond)
            tx.commit()
        return stored
    tx = dynamo.TxBuilder()
    plan = plan_change(household_id, item, stored)
    plan.action = action
    out = add_to_tx(tx, plan, actor_id=principal.user_id)
    for table, extra_item, cond in extra:
        tx.put(table, extra_item, **cond)
    tx.commit()
    return out


_VOLATILE = {"version", "updated_at", "status", "import_hash", "created_at"}


def content_changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    keys = (set(before) | set(after)) - _VOLATILE
    return any(before.get(k) != after.get(k) for k in keys)


def _check_version(stored: dict[str, Any], expected: int | None) -> None:
    if expected is not None and stored["version"] != expected:
        raise Conflict(f"household was changed by someone else (expected version {expected}, "
                       f"current {stored['version']}); reload and retry", code="VERSION_CONFLICT", field="version")


def set_status(principal: Principal, household_id: str, target: str, *, expected_version: int) -> dict[str, Any]:
    """Move a household through draft → submitted → verified (or submitted → draft).

    Verification is a second pair of eyes: the verifier must not be the collecting account manager
    (Forbidden ``VERIFIER_IS_COLLECTOR``).
    """
    from chalicelib.customers.domain.households import check_transition
    from chalicelib.platform.errors import Forbidden

    stored = get(principal, household_id)
    _check_version(stored, expected_version)
    check_transition(stored["status"], target)
    if target == "verified" and stored.get("collected_by") == principal.user_id:
        raise Forbidden("the collecting account manager cannot verify the same household",
                        code="VERIFIER_IS_COLLECTOR")
    item = dict(stored)
    item["status"] = target
    if target == "verified":
        item["verified_by"] = principal.user_id
    tx = dynamo.TxBuilder()
    out = dynamo.put_versioned(tx, _table(), item, expected_version=stored["version"], entity="household")
    tx.audit(_audit_table(), dynamo.Audit(entity_type="household", entity_id=household_id, action=f"status_{target}",
                                          actor_id=principal.user_id, before={"status": stored["status"]},
                                          after={"status": target}, org_path=stored["org_path"]))
    tx.commit()
    return out


def move_member(principal: Principal, household_id: str, member_id: str, *, target_household_id: str,
                relation: str, expected_version: int, target_expected_version: int) -> tuple[dict, dict]:
    """Move one person from a household to another, atomically (both households, the index item and
    two audit records in one transaction). The head cannot be moved (``MEMBER_IS_HEAD``); the person
    gets ``relation`` (not ``head``) in the target household."""
    if target_household_id == household_id:
        raise ValidationFailed("source and target are the same household", code="MOVE_SAME_HOUSEHOLD",
                               field="target_household_id")
    if relation == "head":
        raise ValidationFailed("a moved person cannot become head; change the head afterwards",
                               code="MOVE_AS_HEAD", field="relation")
    src = get(principal, household_id)
    try:
        dst = get(principal, target_household_id)
    except NotFound:
        raise not_found(field="target_household_id") from None
    _check_version(src, expected_version)
    if dst["version"] != target_expected_version:
        raise Conflict("the target household was changed by someone else; reload and retry",
                       code="VERSION_CONFLICT", field="target_version")
    member = next((m for m in src["members"] if m["member_id"] == member_id), None)
    if member is None:
        raise NotFound("member not found", code="MEMBER_NOT_FOUND", field="member_id")
    if member["relation"] == "head":
        raise ValidationFailed("the head cannot leave the household; appoint another head first",
                               code="MEMBER_IS_HEAD", field="member_id")
    if relation == "spouse" and any(m["relation"] == "spouse" for m in dst["members"]):
        raise ValidationFailed("the target household already has a spouse", code="HOUSEHOLD_SPOUSE_COUNT",
                               field="relation")
    moved = dict(member, relation=relation)
    if any(m["member_id"] == member_id for m in dst["members"]):
        moved["member_id"] = "m-" + uuid.uuid4().hex[:12]
    src_item = _with_members(src, [m for m in src["members"] if m["member_id"] != member_id])
    dst_item = _with_members(dst, dst["members"] + [moved])
    table = _table()
    tx = dynamo.TxBuilder()
    out_src = dynamo.put_versioned(tx, table, src_item, expected_version=src["version"], entity="household")
    out_dst = dynamo.put_versioned(tx, table, dst_item, expected_version=dst["version"], entity="household")
    tx.update(table, rid_key(member["resident_id_hash"]), "SET household_id = :dst, member_id = :mid",
              values={":dst": target_household_id, ":src": household_id, ":mid": moved["member_id"]},
              condition="household_id = :src",
              on_fail=Conflict("the person's household changed meanwhile; reload and retry",
                               code="CONCURRENT_UPDATE"))
    for hid, item, action, other in ((household_id, src_item, "member_moved_out", target_household_id),
                                     (target_household_id, dst_item, "member_moved_in", household_id)):
        tx.audit(_audit_table(), dynamo.Audit(
            entity_type="household", entity_id=hid, action=action, actor_id=principal.user_id,
            before=None, after={"member_id": moved["member_id"], "name": member["name"], "other_household": other},
            org_path=item["org_path"]))
    tx.commit()
    return out_src, out_dst


def _with_members(item: dict[str, Any], members: list[dict[str, Any]]) -> dict[str, Any]:
    out = dict(item)
    out["members"] = members
    out["member_count"] = len(members)
    out["labourer_count"] = sum(1 for m in members if m.get("labour_capacity") in LABOURER_CAPACITIES)
    if out.get("status") in ("submitted", "verified"):
        out["status"] = "draft"
    return out


def reveal(principal: Principal, item: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Decrypt the ID and phone numbers of a household's members for a caller with ``pii:reveal``.

    The access is audited (action ``pii_reveal``, which members) before anything is returned.
    Returns ``{member_id: {"resident_id": ..., "phone": ...}}``.
    """
    from chalicelib.platform import pii

    principal.require("pii:reveal")
    principal.ensure_can_see(item, "household")
    out: dict[str, dict[str, str]] = {}
    for m in item.get("members", []):
        values = {}
        if m.get("resident_id_enc"):
            values["resident_id"] = pii.decrypt(m["resident_id_enc"], purpose="resident_id")
        if m.get("phone_enc"):
            values["phone"] = pii.decrypt(m["phone_enc"], purpose="phone")
        out[m["member_id"]] = values
    tx = dynamo.TxBuilder()
    tx.audit(_audit_table(), dynamo.Audit(
        entity_type="household", entity_id=item["household_id"], action="pii_reveal", actor_id=principal.user_id,
        before=None, after={"members": sorted(out), "fields": ["resident_id", "phone"]},
        org_path=item["org_path"], reason="explicit reveal request"))
    tx.commit()
    return out


def commit_plans(plans: list[Plan], *, actor_id: str, reason: str | None = None,
                 max_ops: int = 100) -> tuple[dict[str, dict[str, Any]], dict[str, DomainError]]:
    """Write many household changes with as few transactions as possible, each household atomically.

    Plans are packed into transactions of at most ``max_ops`` operations (a household's writes never
    span two transactions). When a transaction is cancelled, the households whose conditions failed
    are dropped with their error (e.g. ``PERSON_IN_OTHER_HOUSEHOLD`` naming the member; a value the store
    refuses: ``VALUE_NOT_STORABLE``, see ``dynamo.reason_error``) and the rest
    of the group is written again. Returns ``(stored items by household id, errors by household id)``.
    """
    from botocore.exceptions import ClientError

    groups: list[list[Plan]] = []
    current: list[Plan] = []
    size = 0
    for plan in plans:
        ops = 2 + len(plan.rid_puts) + len(plan.rid_deletes)
        if current and size + ops > max_ops:
            groups.append(current)
            current, size = [], 0
        current.append(plan)
        size += ops
    if current:
        groups.append(current)

    done: dict[str, dict[str, Any]] = {}
    failed: dict[str, DomainError] = {}
    queue = list(groups)
    while queue:
        group = queue.pop(0)
        tx = dynamo.TxBuilder()
        spans: list[tuple[Plan, int, int]] = []
        outs: dict[str, dict[str, Any]] = {}
        for plan in group:
            start = len(tx.ops)
            outs[plan.household_id] = add_to_tx(tx, plan, actor_id=actor_id, reason=reason)
            spans.append((plan, start, len(tx.ops)))
        try:
            dynamo.client().transact_write_items(TransactItems=tx.ops)
            done.update(outs)
            continue
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
        bad: set[str] = set()
        for plan, start, end in spans:
            for i in range(start, min(end, len(reasons))):
                if reasons[i].get("Code") == "ConditionalCheckFailed" or str(reasons[i].get("Code")).startswith(
                        "Validation"):
                    err = dynamo.reason_error(reasons[i], tx.labels[i])
                    if not isinstance(err, DomainError):
                        raise err  # type: ignore[misc]
                    failed[plan.household_id] = err
                    bad.add(plan.household_id)
                    break
        rest = [p for p in group if p.household_id not in bad]
        if not bad:  # cancelled for another reason (e.g. a concurrent transaction): retry one by one
            if len(group) == 1:
                failed[group[0].household_id] = Conflict("the data changed meanwhile; retry",
                                                         code="CONCURRENT_UPDATE")
                continue
            queue = [[p] for p in group] + queue
            continue
        if rest:
            queue.insert(0, rest)
    return done, failed


#: Household statuses (the lifecycle :func:`set_status` moves households through).
STATUSES = ("draft", "submitted", "verified")


def write_for_system(households_in: Iterable[tuple[str, Any]], *, status: str, actor_id: str, reason: str,
                     data_source: str = "roster_import") -> list[dict[str, Any]]:
    """Create or replace households for a system writer (seed data, tests, benchmarks), in the one item shape of
    this repository: each ``(household_id, HouseholdIn or its dict)`` is validated and normalised like a client's
    household, its members protected (keyed hashes, masked and encrypted IDs), its item built by
    :func:`build_item` from the village's assignment (``orgs.village_assignment``: org, names) and written with
    its one-person-one-household index items and audit record (:func:`commit_plans`), in status ``status``
    (``draft`` | ``submitted`` | ``verified``) as if the lifecycle had been walked. A household that exists is
    replaced (version + 1). Returns the stored items in input order.

    Raises ValidationFailed (``HOUSEHOLD_INVALID`` and the input model's errors; ``HOUSEHOLD_STATUS`` for another
    status), NotFound ``VILLAGE_NOT_FOUND`` (a village without assignment), and the first household's commit error
    (e.g. Conflict ``PERSON_IN_OTHER_HOUSEHOLD``): nothing is written silently incomplete."""
    from chalicelib.admin import public as orgs
    from chalicelib.customers.domain.households import HouseholdIn, normalise
    from chalicelib.platform.clock import business_date

    if status not in STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}", code="HOUSEHOLD_STATUS",
                               field="status")
    today = business_date()
    pairs = list(households_in)
    stored_items = batch_get([key(hid) for hid, _ in pairs])
    villages: dict[str, dict[str, Any]] = {}
    plans: list[Plan] = []
    for hid, inp in pairs:
        norm = normalise(inp if isinstance(inp, HouseholdIn) else HouseholdIn.model_validate(inp), today=today)
        if norm.village_code not in villages:
            village = orgs.village_assignment(norm.village_code)
            if village is None:
                raise orgs.village_not_found()
            villages[norm.village_code] = village
        stored = stored_items.get((key(hid)["PK"], key(hid)["SK"]))
        item = build_item(hid, norm, build_members(norm, stored), village=villages[norm.village_code], status=status,
                          data_source=data_source, collected_by=actor_id, base=stored)
        plans.append(plan_change(hid, item, stored))
    done, failed = commit_plans(plans, actor_id=actor_id, reason=reason)
    if failed:
        raise next(iter(failed.values()))
    return [done[hid] for hid, _ in pairs]
