"""PAD offline sync (离线采集同步): apply records created or edited offline, idempotently.

Each record carries a client-generated ``op_id`` (one edit), the ``household_id`` (client-generated UUID for a
new household), the ``base_version`` the edit was made on (``null`` for a new household) and the household
content. Per record the outcome is:

* ``created`` / ``updated`` / ``unchanged``: applied; a receipt (``chalicelib.customers.data.sync``) is written in
  the same transaction as the household, so sending the same batch again replays the receipt (``replayed:
  true``) and writes nothing;
* ``conflict``: the server copy changed since ``base_version`` (or a new household's id exists): both versions
  are returned (masked) and nothing is overwritten;
* ``rejected``: invalid content or a person in another household (field errors), or a household not found in
  the caller's scope.
"""
from __future__ import annotations

from typing import Any

from chalicelib.customers.data import households as repo
from chalicelib.customers.data import sync as receipts
from chalicelib.customers.service import households
from chalicelib.platform.access import Principal
from chalicelib.platform.errors import Conflict, DomainError, NotFound, ValidationFailed


def _replay(principal: Principal, op_id: str, household_id: str) -> dict[str, Any] | None:
    r = receipts.find(principal.user_id, op_id)
    if r is None:
        return None
    if r["household_id"] != household_id:
        return {"outcome": "rejected", "errors": [{"field": "op_id", "code": "SYNC_OP_ID_REUSED",
                                                   "message": "this op_id was used for another household"}]}
    return {"outcome": r["outcome"], "version": r["version"], "replayed": True}


def _rejected(exc: DomainError) -> dict[str, Any]:
    fields = [f.to_dict() for f in exc.fields] or [{"field": "", "code": exc.code, "message": exc.message}]
    return {"outcome": "rejected", "code": exc.code, "errors": fields}


def _apply(principal: Principal, stored: dict[str, Any] | None, *, device_id: str, op_id: str, household_id: str,
           base_version: int | None, household: Any) -> dict[str, Any]:
    visible = stored is not None and principal.can_see(org_path=stored.get("org_path"),
                                                       household_id=stored.get("household_id"))
    if base_version is None:
        if stored is not None:
            if not visible:
                return _rejected(Conflict("this household id is taken", code="HOUSEHOLD_ID_TAKEN",
                                          field="household_id"))
            return {"outcome": "conflict", "code": "HOUSEHOLD_EXISTS", "server": stored}
        out = households.create(principal, household, data_source="door_to_door", household_id=household_id,
                                extra=[receipts.receipt(principal.user_id, op_id, household_id, "created", 1,
                                                        device_id)])
        return {"outcome": "created", "version": out["version"]}
    if stored is None or not visible:
        return _rejected(repo.not_found())
    if stored["version"] != base_version:
        return {"outcome": "conflict", "code": "VERSION_CONFLICT", "server": stored}
    out = households.update(
        principal, household_id, household, expected_version=base_version, action="sync_update",
        extra_for=lambda changed, version: [receipts.receipt(principal.user_id, op_id, household_id,
                                                             "updated" if changed else "unchanged", version,
                                                             device_id)])
    return {"outcome": "updated" if out["version"] != base_version else "unchanged", "version": out["version"]}


def apply_record(principal: Principal, *, device_id: str, op_id: str, household_id: str,
                 base_version: int | None, household: Any) -> dict[str, Any]:
    """Apply one offline record (``household`` a ``HouseholdIn``); returns ``{outcome, code?, version?, replayed?,
    server?, errors?}`` where ``server`` is the current stored household (for conflicts)."""
    replay = _replay(principal, op_id, household_id)
    if replay is not None:
        return replay
    stored = repo.get_unscoped(household_id)
    try:
        return _apply(principal, stored, device_id=device_id, op_id=op_id, household_id=household_id,
                      base_version=base_version, household=household)
    except Conflict as exc:
        if exc.code == "SYNC_OP_APPLIED":
            return _replay(principal, op_id, household_id) or _rejected(exc)
        if exc.code in ("VERSION_CONFLICT", "HOUSEHOLD_EXISTS", "CONCURRENT_UPDATE"):
            return {"outcome": "conflict", "code": "VERSION_CONFLICT", "server": repo.get_unscoped(household_id)}
        return _rejected(exc)
    except (ValidationFailed, NotFound) as exc:
        return _rejected(exc)
