"""Test data of the post-loan context: a raised warning, a planned inspection, a sent notification, each made by the
context's own code (the repository the warning scan, the inspection planning and the reminders job use)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any


def raised_warning(loan: dict[str, Any], *, day: date, assignee_id: str | None, rule_id: str = "OVERDUE",
                   level: str = "yellow", rule_set: str = "test",
                   evidence: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``rule_id`` signal about ``loan`` (a loan item: ``loan_id``, ``household_id``, ``org_path``,
    ``village_code``) raised on ``day``, as the warning scan raises it; fails if it was not newly raised."""
    from chalicelib.postloan.data import warnings

    outcome, signal = warnings.raise_signal(
        rule_id=rule_id, level=level, reason="逾期", rule_set=rule_set, rule_version=None, subject_type="loan",
        subject_id=loan["loan_id"], org_path=loan["org_path"], day=day, evidence=evidence or {"dpd": 3},
        assignee_id=assignee_id, loan_id=loan["loan_id"], household_id=loan["household_id"],
        village_code=loan.get("village_code"))
    if outcome != "raised" or signal is None:
        raise AssertionError(f"the warning was {outcome}, not raised")
    return signal


def planned_inspection(loan: dict[str, Any], *, day: date, assignee_id: str | None,
                       due_in_days: int = 30) -> dict[str, Any]:
    """The first inspection of ``loan``, planned on ``day`` and due ``due_in_days`` later, as the planning job
    plans it; fails if that task existed already."""
    from chalicelib.postloan.data import inspections

    task = inspections.create(inspections.new_task(loan, kind="first", due_on=day + timedelta(days=due_in_days),
                                                   category="pass", day=day, assignee_id=assignee_id),
                              actor_id="test")
    if task is None:
        raise AssertionError("the inspection existed already")
    return task


def sent_notification(*, household_id: str, org_path: str, reference: str, day: date, about: str,
                      template: str = "repayment_due_t7", text: str = "【吉林农安农村商业银行】测试") -> str:
    """An SMS to a household sent through the outbox (``sent``, or ``duplicate`` when sent before)."""
    from chalicelib.postloan.data import notifications

    return notifications.send_once(template=template, channel="sms", recipient_type="household",
                                   recipient_id=household_id, reference=reference, about=about, day=day, text=text,
                                   org_path=org_path, household_id=household_id)
