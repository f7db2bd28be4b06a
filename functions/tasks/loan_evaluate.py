"""Approval step 1: decide a drawdown by the auto-approval rules (``{"drawdown_id"}`` → ``{"outcome"}``)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.loans.service import approval

    return approval.evaluate(event["drawdown_id"])
