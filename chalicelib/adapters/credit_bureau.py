"""Credit bureau (征信) adapter: a pre-lending check of the borrower.

Interface: :func:`check` ``(household_id, reason) -> {"result", "report_id", "checked_at"}`` where
``result`` is ``clear`` (no adverse records), ``hit`` (adverse records: a person must look), ``reject``
(a knock-out such as a blacklist entry) or ``unavailable`` (the bureau did not answer; never raises).
Production: the PBOC credit reference centre's interface with the borrower's written authorisation.

Sandbox: ``clear`` unless scripted (key ``HH#<household_id>``, outcomes ``clear``/``hit``/``reject``/``unavailable``).
"""
from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.adapters import require_sandbox_stage, sandbox
from chalicelib.platform.clock import utc_now_iso

ADAPTER = "credit_bureau"
RESULTS = ("clear", "hit", "reject", "unavailable")


def check(household_id: str, *, reason: str) -> dict[str, Any]:
    require_sandbox_stage()
    result = sandbox.next_outcome(ADAPTER, f"HH#{household_id}", "clear")
    if result not in RESULTS:
        result = "unavailable"
    at = utc_now_iso()
    report_id = "CR" + hashlib.sha256(f"{household_id}|{reason}|{at}".encode()).hexdigest()[:16].upper()
    return {"result": result, "report_id": None if result == "unavailable" else report_id, "checked_at": at}
