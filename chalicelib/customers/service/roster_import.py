"""Roster import (花名册批量导入): file → validated households → written in batches, with a per-row report.

:func:`import_roster` is the one entry point, used by the import function (``functions/tasks/roster_import.py``,
started by ``POST /imports/{id}/start``) and in-process by the console (``village-credit campaign run --roster``).

Rules:

* Valid households are written, invalid ones are not; every household is written atomically (the
  household, its members' one-person-one-household index items and its audit record in one
  transaction), many households per transaction (``household_batches.commit_plans``).
* A household is recognised by its head's resident ID (keyed hash → ``RID#`` index). A keyed hash of
  the imported content (``import_hash``) makes re-import idempotent: unchanged → nothing is written;
  changed → the household is updated with a new version (back to draft if it was submitted/verified).
* A person already in another household (or in a household outside the caller's scope or another
  village) is reported as ``PERSON_IN_OTHER_HOUSEHOLD``; moving people is an explicit operation.
* The report never contains a cell value: ``{row, field, code, message}`` per problem.
* Nothing is dropped silently: every data row is in a household that is written (created, updated,
  unchanged) or refused (invalid, conflict), or has report lines of its own (a row that belongs to no
  household); the counts say so for households, people and rows (see :func:`import_roster`).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.platform.access import Principal
from chalicelib.platform.errors import DomainError, ValidationFailed

#: Households validated, looked up and written per round (bounds memory and paces progress updates).
CHUNK = 250

Progress = Callable[[int, int, dict[str, int]], None]


@dataclass
class _Candidate:
    hh: Any  # roster.RosterHousehold
    norm: Any  # households.Normalised
    hashes: list[str]
    import_hash: str


def import_roster(principal: Principal, village_code: str, file_bytes: bytes, filename: str, *,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Import a village roster (CSV or XLSX bytes) as ``principal`` (an account manager, or
    ``chalicelib.platform.access.SYSTEM`` for the console) and return the report::

        {"village_code", "filename", "data_rows", "households_total",
         "counts": {"created", "updated", "unchanged", "invalid", "conflict",       # households
                    "members_created", ..., "members_conflict",                     # their people (rows)
                    "rows_read", "rows_unassigned", "rows_with_errors"},
         "errors": [{"row", "field", "code", "message"}, ...],            # sorted by row
         "households": [{"rows": [...], "household_id", "outcome"}, ...],  # outcome as in counts
         "seconds": float}

    One row is one person, so ``rows_read`` = the five ``members_*`` counts + ``rows_unassigned`` (rows
    in no household, each with its own report line); ``rows_with_errors`` counts the distinct rows named
    by a report line. Raises NotFound ``VILLAGE_NOT_FOUND`` (village not served in the caller's scope) and
    ValidationFailed with the file-level codes of ``chalicelib.customers.domain.roster`` (``ROSTER_FORMAT``,
    ``ROSTER_EMPTY``, ``ROSTER_MISSING_COLUMN``, ``ROSTER_TOO_LARGE``).
    """
    from chalicelib.admin import public as orgs
    from chalicelib.customers.domain import roster
    from chalicelib.reference.divisions import get_village

    started = time.monotonic()
    get_village(village_code)
    if principal.role == "farmer":
        raise orgs.village_not_found()
    village = orgs.get_village(principal, village_code)
    try:
        parsed = roster.parse(file_bytes, filename, village_code=village_code)
    except roster.RosterFormatError as exc:
        raise ValidationFailed(exc.message, code=exc.code, field="file") from None

    counts = roster.new_counts(parsed.data_rows)
    counts["rows_unassigned"] = len(parsed.unassigned_rows)
    errors: list[roster.RowError] = list(parsed.errors)
    outcomes: list[dict[str, Any]] = []
    total = len(parsed.households)
    done = 0
    for start in range(0, total, CHUNK):
        chunk = parsed.households[start:start + CHUNK]
        _import_chunk(principal, village, chunk, counts, errors, outcomes)
        done += len(chunk)
        counts["rows_with_errors"] = len({e.row for e in errors})
        if progress:
            progress(done, total, dict(counts))
    counts["rows_with_errors"] = len({e.row for e in errors})
    errors.sort(key=lambda e: (e.row, e.field))
    return {"village_code": village_code, "filename": filename, "data_rows": parsed.data_rows,
            "households_total": total, "counts": counts, "errors": [e.to_dict() for e in errors],
            "households": outcomes, "seconds": round(time.monotonic() - started, 3)}


def _count(counts: dict[str, int], hh: Any, outcome: str) -> None:
    counts[outcome] += 1
    counts[f"members_{outcome}"] += len(hh.rows)


def _import_chunk(principal: Principal, village: dict[str, Any], chunk: list[Any], counts: dict[str, int],
                  errors: list[Any], outcomes: list[dict[str, Any]]) -> None:
    from pydantic import ValidationError

    from chalicelib.customers.data import household_items as items
    from chalicelib.customers.data import households as repo
    from chalicelib.customers.data.household_batches import commit_plans
    from chalicelib.customers.domain import roster
    from chalicelib.customers.domain.households import HouseholdIn, content_fingerprint, normalise
    from chalicelib.platform import pii
    from chalicelib.platform.clock import business_date

    today = business_date()

    def refuse(hh: Any, lines: list[Any], outcome: str = "invalid", household_id: str | None = None) -> None:
        _count(counts, hh, outcome)
        errors.extend(lines)
        outcomes.append({"rows": hh.rows, "household_id": household_id, "outcome": outcome})

    candidates: list[_Candidate] = []
    for hh in chunk:
        if hh.errors:
            refuse(hh, hh.errors)
            continue
        try:
            norm = normalise(HouseholdIn.model_validate(hh.payload), today=today)
        except ValidationError as exc:
            refuse(hh, roster.pydantic_errors(hh, exc))
            continue
        except ValidationFailed as exc:
            refuse(hh, roster.report_errors(hh, exc.fields))
            continue
        # a new household: normalise required every member's resident ID
        hashes = [pii.keyed_hash(m.resident_id or "", purpose="resident_id") for m in norm.members]
        candidates.append(_Candidate(hh, norm, hashes,
                                     pii.keyed_hash(content_fingerprint(norm), purpose="content")))

    owner_of = repo.rid_owners(h for c in candidates for h in c.hashes)
    targets = {c.hashes[0]: owner_of.get(c.hashes[0]) for c in candidates}
    # first only what decides "unchanged" (large items are costly to read), then full items to update
    heads_by_id = repo.households_by_id([t for t in targets.values() if t],
                                        attributes=("village_code", "org_path", "import_hash"))
    to_update = [t for c in candidates if (t := targets[c.hashes[0]]) and t in heads_by_id
                 and heads_by_id[t].get("import_hash") != c.import_hash]
    stored_by_id = repo.households_by_id(to_update) if to_update else {}
    for hid, head in heads_by_id.items():
        stored_by_id.setdefault(hid, head)

    plans: list[tuple[_Candidate, Any]] = []
    for c in candidates:
        target = targets[c.hashes[0]]
        stored = stored_by_id.get(target) if target else None
        clash = [i for i, h in enumerate(c.hashes) if owner_of.get(h) and owner_of[h] != target]
        if target and stored is None:  # index points at nothing (should not happen): refuse safely
            clash = [0]
        if stored is not None and (stored["village_code"] != village["village_code"]
                                   or not principal.can_see(org_path=stored.get("org_path"))):
            clash = [0]
        if clash:
            refuse(c.hh, [_line(c.hh, f"members[{i}].resident_id", repo.person_conflict(i)) for i in clash],
                   "conflict")
            continue
        if stored is not None and stored.get("import_hash") == c.import_hash:
            _count(counts, c.hh, "unchanged")
            outcomes.append({"rows": c.hh.rows, "household_id": stored["household_id"], "outcome": "unchanged"})
            continue
        members = items.build_members(c.norm, stored)
        if stored is None:
            hid = _new_id()
            item = items.build_item(hid, c.norm, members, village=village, status="draft",
                                   data_source="roster_import", collected_by=principal.user_id,
                                   import_hash=c.import_hash)
        else:
            hid = stored["household_id"]
            item = items.build_item(hid, c.norm, members, village=village, status=stored["status"],
                                   data_source=stored.get("data_source", "roster_import"),
                                   collected_by=stored.get("collected_by", principal.user_id), base=stored,
                                   import_hash=c.import_hash)
            if not items.content_changed(stored, item):
                _count(counts, c.hh, "unchanged")
                outcomes.append({"rows": c.hh.rows, "household_id": hid, "outcome": "unchanged"})
                continue
            item["status"] = "draft"
        plan = items.plan_change(hid, item, stored)
        plan.action = "import_update" if stored else "import_create"
        plans.append((c, plan))

    written, failed = commit_plans([p for _, p in plans], actor_id=principal.user_id,
                                        reason="roster import")
    for c, plan in plans:
        hid = plan.household_id
        if hid in written:
            outcome = "updated" if plan.before else "created"
            _count(counts, c.hh, outcome)
            outcomes.append({"rows": c.hh.rows, "household_id": hid, "outcome": outcome})
        else:
            err = failed[hid]
            refuse(c.hh, [_line(c.hh, f.field, err, f.code, f.message) for f in (err.fields or [])]
                   or [_line(c.hh, "", err)], "conflict")


def _line(hh: Any, path: str, err: DomainError, code: str | None = None, message: str | None = None) -> Any:
    from chalicelib.customers.domain.roster import RowError

    row, header = hh.locate(path)
    return RowError(row, header, code or err.code, message or err.message)


def _new_id() -> str:
    import uuid

    return str(uuid.uuid4())
