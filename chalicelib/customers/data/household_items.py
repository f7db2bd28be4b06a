"""Building household items (农户档案): the stored item of a normalised household, its protected members, and
the plan of writes that takes a stored household to a new one. The keys are the repository's
(:mod:`chalicelib.customers.data.households`); personal numbers are protected here (``chalicelib.platform.pii``:
keyed hash, mask, envelope encryption) and never kept in plain form.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

LABOURER_CAPACITIES = ("full", "partial")
_PII = {"resident_id": ("resident_id_hash", "resident_id_masked", "resident_id_enc"),
        "phone": ("phone_hash", "phone_masked", "phone_enc")}


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


def _protected(kind: str, plain: str | None, keep: bool, stored: dict[str, Any] | None) -> dict[str, Any]:
    """The stored attributes of one personal number (``kind`` resident_id | phone): kept from ``stored`` when the
    member keeps it or sends the same number again, else protected afresh; nothing when there is none."""
    from chalicelib.platform import pii

    names = _PII[kind]
    if keep and stored:
        return {k: stored[k] for k in names if k in stored}
    if not plain:
        return {}
    if stored and stored.get(names[0]) == pii.keyed_hash(plain, purpose=kind):
        return {k: stored[k] for k in names}
    return dict(pii.protect_resident_id(plain) if kind == "resident_id" else pii.protect_phone(plain))


def _protect_member(m: Any, stored: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = m.public()
    out.update(_protected("resident_id", m.resident_id, m.keep_resident_id, stored))
    out.update(_protected("phone", m.phone, m.keep_phone, stored))
    return out


def build_members(norm: Any, stored_item: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Protected member dicts for a normalised household; member ids kept for known members
    (by ``member_id`` or by resident ID), new ones derived from the keyed ID hash."""
    from chalicelib.platform import pii

    stored_members = {m["member_id"]: m for m in (stored_item or {}).get("members", [])}
    by_hash = {m.get("resident_id_hash"): m for m in stored_members.values()}
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for m in norm.members:
        stored = stored_members.get(m.member_id) if m.member_id else None
        if stored is None and m.resident_id and m.member_id is None:
            stored = by_hash.get(pii.keyed_hash(m.resident_id, purpose="resident_id"))
        member = _protect_member(m, stored)
        member_id = m.member_id or (stored["member_id"] if stored else "m-" + member["resident_id_hash"][:12])
        while member_id in used:
            member_id = "m-" + uuid.uuid4().hex[:12]
        used.add(member_id)
        member["member_id"] = member_id
        out.append({k: v for k, v in member.items() if v is not None})
    return out


def labourer_count(members: list[dict[str, Any]]) -> int:
    """Members able to work, fully or partly (the count the household list shows)."""
    return sum(1 for m in members if m.get("labour_capacity") in LABOURER_CAPACITIES)


def build_item(household_id: str, norm: Any, members: list[dict[str, Any]], *, village: dict[str, Any],
               status: str, data_source: str, collected_by: str, base: dict[str, Any] | None = None,
               import_hash: str | None = None) -> dict[str, Any]:
    """The household's attributes (no keys: the model builds them) from a normalised household: the village's
    names and scope attributes, status, source, collector, head, members and counts, and the normalised
    attributes (``None`` ones removed). ``base``: the stored household whose other attributes are kept."""
    from chalicelib.customers.data.models import Household

    head = next(m for m in members if m["relation"] == "head")
    item = {k: v for k, v in (base or {}).items() if k not in Household.KEY_ATTRIBUTES
            and k not in ("version", "updated_at")}
    item.update({
        "kind": "household", "household_id": household_id, "village_code": norm.village_code,
        "village_name": village.get("village_name"), "township_name": village.get("township_name"),
        "county_name": village.get("county_name"), "org_id": village["org_id"], "org_path": village["org_path"],
        "status": status, "data_source": data_source, "collected_by": collected_by,
        "head_member_id": head["member_id"], "head_name": head["name"], "members": members,
        "member_count": len(members), "labourer_count": labourer_count(members),
    })
    for k, v in norm.attributes.items():
        item[k] = v
        if v is None:
            item.pop(k, None)
    if import_hash is not None:
        item["import_hash"] = import_hash
    return {k: v for k, v in item.items() if v is not None}


def with_members(item: dict[str, Any], members: list[dict[str, Any]]) -> dict[str, Any]:
    """``item`` with another member list (counts updated); a submitted or verified household returns to draft."""
    out = dict(item)
    out["members"] = members
    out["member_count"] = len(members)
    out["labourer_count"] = labourer_count(members)
    if out.get("status") in ("submitted", "verified"):
        out["status"] = "draft"
    return out


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


def audit_diff(before: dict[str, Any] | None, after: dict[str, Any] | None
               ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The audit record's ``before``/``after`` of a change: only the attributes that changed (all on create)."""
    before, after = audit_view(before), audit_view(after)
    if before is None or after is None:
        return before, after
    keys = sorted(set(before) | set(after))
    changed = [k for k in keys if before.get(k) != after.get(k) and k not in ("updated_at",)]
    return {k: before.get(k) for k in changed}, {k: after.get(k) for k in changed}


_VOLATILE = {"version", "updated_at", "status", "import_hash", "created_at"}


def content_changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether the household's content differs (status, version, timestamps and the import hash aside)."""
    keys = (set(before) | set(after)) - _VOLATILE
    return any(before.get(k) != after.get(k) for k in keys)
