"""Judicial enforcement list (失信被执行人名单) adapter: negative third-party data for the warning scan.

Interface: :func:`listed` ``(household_ids) -> {household_id: entry}``: the households among those given
whose members appear on the list of dishonest judgment debtors, each with ``case_no``, ``court`` and
``listed_on``. Production: the Supreme People's Court enforcement-information service (or the
province's data-sharing platform), matched by the members' resident ID numbers; the batch form keeps a
daily scan of every borrower to one call per page of loans.

Sandbox: the list is the sandbox's list of this adapter (:func:`chalicelib.adapters.sandbox.list_entries`), one
entry per household written by :func:`sandbox_add` (local and test stages only); read once per scan and cached for a minute.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from chalicelib.adapters import require_sandbox_stage, sandbox

ADAPTER = "judicial"
_CACHE: dict[str, Any] = {"at": 0.0, "entries": {}}
_TTL_SECONDS = 60.0


def _entries() -> dict[str, dict[str, Any]]:
    if time.monotonic() - _CACHE["at"] > _TTL_SECONDS:
        items = sandbox.list_entries(ADAPTER)
        _CACHE.update(at=time.monotonic(), entries={i["household_id"]: i for i in items})
    return _CACHE["entries"]


def listed(household_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    require_sandbox_stage()
    entries = _entries()
    return {h: {k: entries[h].get(k) for k in ("case_no", "court", "listed_on")}
            for h in set(household_ids) if h in entries}


def sandbox_add(household_id: str, *, case_no: str, court: str, listed_on: str) -> None:
    """Put a household on the sandbox list (local and test stages only)."""
    from chalicelib.adapters import CONTROL_STAGES
    from chalicelib.platform.settings import get_settings

    if get_settings().stage not in CONTROL_STAGES:
        raise RuntimeError("the sandbox list can only be changed in the local and test stages")
    sandbox.put_list_entry(ADAPTER, household_id, {"household_id": household_id, "case_no": case_no,
                                                   "court": court, "listed_on": listed_on})
    _CACHE["at"] = 0.0
