"""Disbursement step 2: post the transfer through core banking with the idempotent request id (raises CoreBankingTimeout)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.loans.service import disbursement

    return disbursement.transfer(event)
