"""Approval human step (``.waitForTaskToken``): store the task token server-side in the task item
(``{"token", "drawdown_id", "stage", "timeout_seconds"}``)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.loans.service import approval

    return approval.open_step(event)
