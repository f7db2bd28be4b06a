"""Household files (农户档案): filing, changing, the status workflow, members (add, change, remove, move to another
household) and the audited reveal of personal numbers. Decides; the repository
(:mod:`chalicelib.customers.data.households`) reads and writes.

Every command takes the caller (``Principal``) and answers 404 ``HOUSEHOLD_NOT_FOUND`` for a household out of its
scope; changes carry the version they are based on (409 ``VERSION_CONFLICT`` when it moved on).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.customers.data import household_items as items
from chalicelib.customers.data import households as repo
from chalicelib.customers.data.households import Extra
from chalicelib.platform.access import Principal
from chalicelib.platform.dynamo.pages import Page
from chalicelib.platform.errors import Forbidden, NotFound, ValidationFailed

#: the household attributes a member change carries over (the rest is rebuilt from them)
_CONTENT = ("village_code", "village_group", "household_no", "address", "gps", "assets", "liabilities", "income",
            "expenses", "main_crops", "expected_net_income", "collected_on", "committee_assessment",
            "repayment_record", "blacklisted")
_MEMBER = ("member_id", "relation", "name", "occupation", "labour_capacity", "education", "health")


def get_unscoped(household_id: str) -> dict[str, Any] | None:
    """The household, or ``None`` (system tasks and the console: no scope check)."""
    return repo.get_unscoped(household_id)


def get(principal: Principal, household_id: str) -> dict[str, Any]:
    """The household in the caller's scope (404 ``HOUSEHOLD_NOT_FOUND``)."""
    return repo.get(principal, household_id)


def village_page(principal: Principal, village_code: str, *, status: str | None, collected_by: str | None,
                 limit: int, cursor: str | None) -> Page:
    """One page of a village's households the caller may see; the village must be served within the caller's
    organisation (404 ``VILLAGE_NOT_FOUND``)."""
    from chalicelib.admin import public as orgs

    orgs.get_village(principal, village_code)
    return repo.list_village_page(principal, village_code, status=status, collected_by=collected_by, limit=limit,
                                  cursor=cursor)


def find_by_resident_id(principal: Principal, resident_id: str) -> dict[str, Any]:
    """The household a person belongs to (exact match through the keyed hash), if in scope; 404
    ``HOUSEHOLD_NOT_FOUND`` (field ``resident_id``) otherwise; ``ID_*`` 422 for a malformed number."""
    from chalicelib.platform import pii
    from chalicelib.platform.identity import parse_resident_id

    number = parse_resident_id(resident_id).number
    owner = repo.rid_owner(pii.keyed_hash(number, purpose="resident_id"))
    if owner is None:
        raise repo.not_found(field="resident_id")
    try:
        return repo.get(principal, owner["household_id"])
    except NotFound:
        raise repo.not_found(field="resident_id") from None


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


def _check_version(stored: dict[str, Any], expected: int | None) -> None:
    if expected is not None and stored["version"] != expected:
        raise repo.version_conflict(expected, stored["version"])


def create(principal: Principal, inp: Any, *, data_source: str = "door_to_door", household_id: str | None = None,
           extra: Iterable[Extra] = ()) -> dict[str, Any]:
    """File a household (status draft, version 1) from a ``HouseholdIn``; ``extra`` items go into the same
    transaction (the PAD sync receipt). Raises ValidationFailed ``HOUSEHOLD_INVALID``, NotFound
    ``VILLAGE_NOT_FOUND``, Conflict ``PERSON_IN_OTHER_HOUSEHOLD`` / ``HOUSEHOLD_EXISTS``."""
    norm = _normalise(inp)
    village = _village_for(principal, norm.village_code)
    hid = household_id or str(uuid.uuid4())
    item = items.build_item(hid, norm, items.build_members(norm, None), village=village, status="draft",
                            data_source=data_source, collected_by=principal.user_id)
    return repo.write_plan(items.plan_change(hid, item, None), actor_id=principal.user_id, extra=extra)


def _village_of(principal: Principal, stored: dict[str, Any], village_code: str) -> dict[str, Any]:
    village = stored if village_code == stored["village_code"] else _village_for(principal, village_code)
    return {k: village.get(k) for k in ("org_id", "org_path", "village_name", "township_name", "county_name")}


def update(principal: Principal, household_id: str, inp: Any, *, expected_version: int,
           extra_for: Callable[[bool, int], list[Extra]] | None = None, action: str = "update") -> dict[str, Any]:
    """Replace a household's content (optimistic lock on ``expected_version``).

    Members named by ``member_id`` keep their stored ID / phone when those are omitted. A content change of a
    submitted or verified household returns it to draft (it must be verified again). The village may change only
    within the caller's scope. Raises as :func:`create`, plus Conflict ``VERSION_CONFLICT``.
    ``extra_for(changed, new_version)`` returns more items for the same transaction (the PAD sync receipt),
    written even when nothing changed."""
    stored = repo.get(principal, household_id)
    _check_version(stored, expected_version)
    norm = _normalise(inp, stored)
    item = items.build_item(household_id, norm, items.build_members(norm, stored),
                            village=_village_of(principal, stored, norm.village_code), status="draft",
                            data_source=stored.get("data_source", "door_to_door"),
                            collected_by=stored.get("collected_by", principal.user_id), base=stored)
    changed = items.content_changed(stored, item)
    extra = extra_for(changed, stored["version"] + 1 if changed else stored["version"]) if extra_for else []
    if not changed:
        if extra:  # nothing to change, but the extra items (a sync receipt) must still be written
            repo.write_unchanged(household_id, stored["version"], extra)
        return stored
    plan = items.plan_change(household_id, item, stored)
    plan.action = action
    return repo.write_plan(plan, actor_id=principal.user_id, extra=extra)


def set_status(principal: Principal, household_id: str, target: str, *, expected_version: int) -> dict[str, Any]:
    """Move a household through draft → submitted → verified (or submitted → draft). Verification is a second
    pair of eyes: the verifier must not be the collecting account manager (Forbidden ``VERIFIER_IS_COLLECTOR``);
    ValidationFailed ``HOUSEHOLD_STATUS`` for another move."""
    from chalicelib.customers.domain.households import check_transition

    stored = repo.get(principal, household_id)
    _check_version(stored, expected_version)
    check_transition(stored["status"], target)
    if target == "verified" and stored.get("collected_by") == principal.user_id:
        raise Forbidden("the collecting account manager cannot verify the same household",
                        code="VERIFIER_IS_COLLECTOR")
    item = {**stored, "status": target}
    if target == "verified":
        item["verified_by"] = principal.user_id
    return repo.write_status(stored, item, actor_id=principal.user_id)


def reveal(principal: Principal, item: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Decrypt the ID and phone numbers of a household's members for a caller with ``pii:reveal``; the access is
    audited (action ``pii_reveal``, which members) before anything is returned. Returns ``{member_id:
    {"resident_id": ..., "phone": ...}}``. Raises Forbidden ``PERMISSION_DENIED``."""
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
    repo.record_reveal(item, list(out), actor_id=principal.user_id)
    return out


# ------------------------------------------------------------------------------------------ members

def _as_input(item: dict[str, Any], members: list[dict[str, Any]]) -> Any:
    """The stored household as an input document with a new member list. Members given without ``resident_id``
    / ``phone`` keep their stored (protected) values, found by ``member_id``."""
    from chalicelib.customers.domain.households import HouseholdIn

    data = {k: item[k] for k in _CONTENT if item.get(k) is not None}
    return HouseholdIn.model_validate({**data, "members": members})


def _stored_member(m: dict[str, Any]) -> dict[str, Any]:
    return {k: m[k] for k in _MEMBER if m.get(k) is not None}


def _member_not_found() -> NotFound:
    return NotFound("member not found", code="MEMBER_NOT_FOUND", field="member_id")


def add_member(principal: Principal, household_id: str, member: dict[str, Any], *,
               expected_version: int) -> dict[str, Any]:
    """Add a member (the fields sent of a ``MemberIn``; any ``member_id`` ignored) to a household."""
    item = repo.get(principal, household_id)
    new = {k: v for k, v in member.items() if k != "member_id"}
    members = [_stored_member(m) for m in item["members"]] + [new]
    return update(principal, household_id, _as_input(item, members), expected_version=expected_version,
                  action="member_added")


def update_member(principal: Principal, household_id: str, member_id: str, member: dict[str, Any], *,
                  expected_version: int) -> dict[str, Any]:
    """Change one member (the fields sent of a ``MemberIn``; omitted ID / phone kept). 404
    ``MEMBER_NOT_FOUND``."""
    item = repo.get(principal, household_id)
    if not any(m["member_id"] == member_id for m in item["members"]):
        raise _member_not_found()
    changed = {**member, "member_id": member_id}
    members = [changed if m["member_id"] == member_id else _stored_member(m) for m in item["members"]]
    return update(principal, household_id, _as_input(item, members), expected_version=expected_version,
                  action="member_changed")


def remove_member(principal: Principal, household_id: str, member_id: str, *, expected_version: int
                  ) -> dict[str, Any]:
    """Remove a member (frees the person for another household). 404 ``MEMBER_NOT_FOUND``."""
    item = repo.get(principal, household_id)
    if not any(m["member_id"] == member_id for m in item["members"]):
        raise _member_not_found()
    members = [_stored_member(m) for m in item["members"] if m["member_id"] != member_id]
    return update(principal, household_id, _as_input(item, members), expected_version=expected_version,
                  action="member_removed")


def _check_move(src: dict[str, Any], dst: dict[str, Any], member_id: str, relation: str) -> dict[str, Any]:
    member = next((m for m in src["members"] if m["member_id"] == member_id), None)
    if member is None:
        raise _member_not_found()
    if member["relation"] == "head":
        raise ValidationFailed("the head cannot leave the household; appoint another head first",
                               code="MEMBER_IS_HEAD", field="member_id")
    if relation == "spouse" and any(m["relation"] == "spouse" for m in dst["members"]):
        raise ValidationFailed("the target household already has a spouse", code="HOUSEHOLD_SPOUSE_COUNT",
                               field="relation")
    return member


def move_member(principal: Principal, household_id: str, member_id: str, *, target_household_id: str,
                relation: str, expected_version: int, target_expected_version: int
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Move one person from a household to another, atomically (both households, the index entry and two audit
    records in one transaction). The head cannot be moved (``MEMBER_IS_HEAD``); the person gets ``relation``
    (not ``head``: ``MOVE_AS_HEAD``) in the target household; ``MOVE_SAME_HOUSEHOLD``, ``VERSION_CONFLICT``."""
    if target_household_id == household_id:
        raise ValidationFailed("source and target are the same household", code="MOVE_SAME_HOUSEHOLD",
                               field="target_household_id")
    if relation == "head":
        raise ValidationFailed("a moved person cannot become head; change the head afterwards",
                               code="MOVE_AS_HEAD", field="relation")
    src = repo.get(principal, household_id)
    try:
        dst = repo.get(principal, target_household_id)
    except NotFound:
        raise repo.not_found(field="target_household_id") from None
    _check_version(src, expected_version)
    if dst["version"] != target_expected_version:
        raise repo.version_conflict(field="target_version")
    member = _check_move(src, dst, member_id, relation)
    moved = dict(member, relation=relation)
    if any(m["member_id"] == member_id for m in dst["members"]):
        moved["member_id"] = "m-" + uuid.uuid4().hex[:12]
    src_item = items.with_members(src, [m for m in src["members"] if m["member_id"] != member_id])
    dst_item = items.with_members(dst, dst["members"] + [moved])
    return repo.write_move((src, src_item), (dst, dst_item), member, moved, actor_id=principal.user_id)
