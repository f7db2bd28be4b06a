"""Roster import (花名册批量导入): file → validated households → written in batches, with a per-row report.

:func:`import_roster` is the one entry point, used by the import function (``functions/tasks/roster_import.py``,
started by ``POST /imports/{id}/start``) and in-process by the console (``village-credit campaign run --roster``).

Rules:

* Valid households are written, invalid ones are not; every household is written atomically (the
  household, its members' one-person-one-household index items and its audit record in one
  transaction), many households per transaction (``household_batches.commit_plans``).
* A household is recognised by its head's resident ID (keyed hash → the ``ResidentIndex``). A keyed hash of
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
from dataclasses import dataclass, field
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
    tally = _Tally(counts, list(parsed.errors))
    total = len(parsed.households)
    done = 0
    for start in range(0, total, CHUNK):
        chunk = parsed.households[start:start + CHUNK]
        _import_chunk(principal, village, chunk, tally)
        done += len(chunk)
        counts["rows_with_errors"] = len({e.row for e in tally.errors})
        if progress:
            progress(done, total, dict(counts))
    counts["rows_with_errors"] = len({e.row for e in tally.errors})
    errors = sorted(tally.errors, key=lambda e: (e.row, e.field))
    return {"village_code": village_code, "filename": filename, "data_rows": parsed.data_rows,
            "households_total": total, "counts": counts, "errors": [e.to_dict() for e in errors],
            "households": tally.outcomes, "seconds": round(time.monotonic() - started, 3)}


@dataclass
class _Tally:
    """What an import has decided so far: the counts, the report lines and each household's outcome."""

    counts: dict[str, int]
    errors: list[Any]
    outcomes: list[dict[str, Any]] = field(default_factory=list)

    def record(self, hh: Any, outcome: str, household_id: str | None = None, lines: list[Any] | None = None) -> None:
        self.counts[outcome] += 1
        self.counts[f"members_{outcome}"] += len(hh.rows)
        self.errors.extend(lines or [])
        self.outcomes.append({"rows": hh.rows, "household_id": household_id, "outcome": outcome})


def _candidates(chunk: list[Any], tally: _Tally) -> list[_Candidate]:
    """The households of ``chunk`` that pass the household rules (the others are refused as ``invalid``), with
    their people's keyed ID hashes and the keyed hash of their content."""
    from pydantic import ValidationError

    from chalicelib.customers.domain import roster
    from chalicelib.customers.domain.households import HouseholdIn, content_fingerprint, normalise
    from chalicelib.platform import pii
    from chalicelib.platform.clock import business_date

    today = business_date()
    out: list[_Candidate] = []
    for hh in chunk:
        if hh.errors:
            tally.record(hh, "invalid", lines=hh.errors)
            continue
        try:
            norm = normalise(HouseholdIn.model_validate(hh.payload), today=today)
        except ValidationError as exc:
            tally.record(hh, "invalid", lines=roster.pydantic_errors(hh, exc))
            continue
        except ValidationFailed as exc:
            tally.record(hh, "invalid", lines=roster.report_errors(hh, exc.fields))
            continue
        # a new household: normalise required every member's resident ID
        hashes = [pii.keyed_hash(m.resident_id or "", purpose="resident_id") for m in norm.members]
        out.append(_Candidate(hh, norm, hashes, pii.keyed_hash(content_fingerprint(norm), purpose="content")))
    return out


def _stored(candidates: list[_Candidate]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """``(household id of each filed person's hash, the households the candidates' heads belong to)``: first only
    what decides "unchanged" (large items are costly to read), then the full items of those to update."""
    from chalicelib.customers.data import households as repo

    owner_of = repo.rid_owners(h for c in candidates for h in c.hashes)
    targets = {c.hashes[0]: owner_of.get(c.hashes[0]) for c in candidates}
    heads_by_id = repo.households_by_id([t for t in targets.values() if t],
                                        attributes=("village_code", "org_path", "import_hash"))
    to_update = [t for c in candidates if (t := targets[c.hashes[0]]) and t in heads_by_id
                 and heads_by_id[t].get("import_hash") != c.import_hash]
    stored_by_id = repo.households_by_id(to_update) if to_update else {}
    for hid, head in heads_by_id.items():
        stored_by_id.setdefault(hid, head)
    return owner_of, stored_by_id


def _clash(principal: Principal, village: dict[str, Any], c: _Candidate, owner_of: dict[str, str],
           target: str | None, stored: dict[str, Any] | None) -> list[int]:
    """The members of ``c`` who belong to another household (or all of them, as member 0, when the household
    found is outside the caller's scope or another village)."""
    clash = [i for i, h in enumerate(c.hashes) if owner_of.get(h) and owner_of[h] != target]
    if target and stored is None:  # index points at nothing (should not happen): refuse safely
        return [0]
    if stored is not None and (stored["village_code"] != village["village_code"]
                               or not principal.can_see(org_path=stored.get("org_path"))):
        return [0]
    return clash


def _plan(principal: Principal, village: dict[str, Any], c: _Candidate, stored: dict[str, Any] | None) -> Any:
    """The plan of writes of a new or changed household, or ``None`` when its content did not change."""
    from chalicelib.customers.data import household_items as items

    members = items.build_members(c.norm, stored)
    if stored is None:
        hid = _new_id()
        item = items.build_item(hid, c.norm, members, village=village, status="draft", data_source="roster_import",
                                collected_by=principal.user_id, import_hash=c.import_hash)
    else:
        hid = stored["household_id"]
        item = items.build_item(hid, c.norm, members, village=village, status=stored["status"],
                                data_source=stored.get("data_source", "roster_import"),
                                collected_by=stored.get("collected_by", principal.user_id), base=stored,
                                import_hash=c.import_hash)
        if not items.content_changed(stored, item):
            return None
        item["status"] = "draft"
    plan = items.plan_change(hid, item, stored)
    plan.action = "import_update" if stored else "import_create"
    return plan


def _import_chunk(principal: Principal, village: dict[str, Any], chunk: list[Any], tally: _Tally) -> None:
    from chalicelib.customers.data import households as repo
    from chalicelib.customers.data.household_batches import commit_plans

    candidates = _candidates(chunk, tally)
    owner_of, stored_by_id = _stored(candidates)
    plans: list[tuple[_Candidate, Any]] = []
    for c in candidates:
        target = owner_of.get(c.hashes[0])
        stored = stored_by_id.get(target) if target else None
        clash = _clash(principal, village, c, owner_of, target, stored)
        if clash:
            tally.record(c.hh, "conflict", lines=[_line(c.hh, f"members[{i}].resident_id", repo.person_conflict(i))
                                                  for i in clash])
        elif stored is not None and stored.get("import_hash") == c.import_hash:
            tally.record(c.hh, "unchanged", stored["household_id"])
        elif (plan := _plan(principal, village, c, stored)) is None:
            tally.record(c.hh, "unchanged", stored["household_id"] if stored else None)
        else:
            plans.append((c, plan))
    written, failed = commit_plans([p for _, p in plans], actor_id=principal.user_id, reason="roster import")
    for c, plan in plans:
        if plan.household_id in written:
            tally.record(c.hh, "updated" if plan.before else "created", plan.household_id)
        else:
            err = failed[plan.household_id]
            tally.record(c.hh, "conflict", lines=[_line(c.hh, f.field, err, f.code, f.message)
                                                  for f in (err.fields or [])] or [_line(c.hh, "", err)])


def _line(hh: Any, path: str, err: DomainError, code: str | None = None, message: str | None = None) -> Any:
    from chalicelib.customers.domain.roster import RowError

    row, header = hh.locate(path)
    return RowError(row, header, code or err.code, message or err.message)


def _new_id() -> str:
    import uuid

    return str(uuid.uuid4())
