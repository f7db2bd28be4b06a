"""Disbursement step 1: reserve the amount on the master line and the sub-line (one transaction with the drawdown)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.loans.service import disbursement

    return disbursement.reserve(event)
