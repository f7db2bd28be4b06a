"""Disbursement still unknown: send the case to the manual reconciliation queue."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.loans.service import disbursement

    return disbursement.reconcile(event)
