"""Disbursement success: open the loan account and schedule, commit the reservation, notify by SMS. The
disbursement announces ``loan.opened`` (``chalicelib.platform.events``); this function subscribes the contexts'
handlers itself (``chalicelib.subscriptions.wire``, idempotent), so post-loan hears it in this Lambda too."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib import subscriptions
    from chalicelib.loans.service import disbursement

    subscriptions.wire()
    return disbursement.complete(event)
