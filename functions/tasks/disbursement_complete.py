"""Disbursement success: open the loan account and schedule, commit the reservation, notify by SMS."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.loans.service import disbursement

    return disbursement.complete(event)
