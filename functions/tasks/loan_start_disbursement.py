"""Chains approval → disbursement: starts the disbursement state machine (StartExecution with name=; nested
executions do not run locally)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.loans.service import disbursement

    return {"status": disbursement.start(event["drawdown_id"], "system")["status"]}
