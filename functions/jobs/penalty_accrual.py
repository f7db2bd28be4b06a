"""Daily post-loan job ``penalty_accrual``: the day's penalty interest on overdue principal, once per loan and business date.

Event: ``{"job": "penalty_accrual", "business_date"?: "YYYY-MM-DD", "max_pages"?: N}`` (the schedule's input; the
business date defaults to today in Asia/Shanghai). One run per business date: a completed date does
nothing new, an interrupted one resumes from its checkpoint (see chalicelib/admin/service/jobs.py).
"""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.postloan.service.jobs import run_job

    return run_job("penalty_accrual", event, context)
