"""Daily post-loan job ``loan_classification``: days past due and five-category classification of overdue and
formerly at-risk loans, with history.

Event: ``{"job": "loan_classification", "business_date"?: "YYYY-MM-DD", "max_pages"?: N}`` (the schedule's input; the
business date defaults to today in Asia/Shanghai). One run per business date: a completed date does
nothing new, an interrupted one resumes from its checkpoint (see chalicelib/admin/service/jobs.py).
"""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.postloan.service.jobs import run_job

    return run_job("loan_classification", event, context)
