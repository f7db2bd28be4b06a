"""Disbursement failure: release the reservation and fail the drawdown."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.loans.service import disbursement

    return disbursement.release(event)
