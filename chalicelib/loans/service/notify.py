"""Notifications to the household through the SMS adapter, from the texts of ``loan_workflow.sms``.
A failed notification is logged and never fails the workflow step that sends it."""
from __future__ import annotations

from typing import Any


def send(household_id: str, template: str, reference: str, *, terms: dict[str, Any] | None = None,
         **fields: Any) -> str | None:
    """Send text ``template`` of ``loan_workflow.sms`` (the version recorded on ``terms``, a drawdown or loan)."""
    from chalicelib.adapters import sms
    from chalicelib.loans.service import config
    from chalicelib.platform.observability import logger

    try:
        texts = config.recorded(config.WORKFLOW, terms or {}).sms
        text = texts.get(template)
        if not text:
            return None
        return sms.send(household_id, text.format_map({k: str(v) for k, v in fields.items()}), reference=reference)
    except Exception:  # noqa: BLE001 - a notification must not break a loan workflow
        logger().exception("sms notification failed", extra={"template": template, "reference": reference})
        return None
