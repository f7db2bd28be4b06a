"""Disbursement: query an unknown core-banking result (backoff between queries in the state machine)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.loans.service import disbursement

    return disbursement.query(event)
