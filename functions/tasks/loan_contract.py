"""Approval last step: render, hash, e-sign and store the contract (``{"drawdown_id"}`` → ``{"disburse"}``)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.loans.service import contracts

    return contracts.prepare(event["drawdown_id"])
