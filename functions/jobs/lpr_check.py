"""Daily job: is the LPR table current against the publication calendar? Warns operations (log, metric
``LprFixingOverdue`` → alarm) from the day a published fixing is missing (``{"business_date"?: "YYYY-MM-DD"}``;
default today in Asia/Shanghai)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.loans.service import lpr

    return lpr.check(event if isinstance(event, dict) else None)
