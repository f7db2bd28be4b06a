"""Approval human step timed out: escalate, expire, or pick up a decision that landed just in time (``{"action"}``)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.loans.service import approval

    return approval.step_timed_out(event)
