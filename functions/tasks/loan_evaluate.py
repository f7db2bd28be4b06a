"""Approval step 1: decide a drawdown by the auto-approval rules (``{"drawdown_id"}`` → ``{"outcome"}``). The
rules' facts include post-loan's red warnings, a lookup this function wires itself (``chalicelib.subscriptions``)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib import subscriptions
    from chalicelib.loans.service import approval

    subscriptions.wire()
    return approval.evaluate(event["drawdown_id"])
