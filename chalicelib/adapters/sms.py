"""SMS (短信) adapter: notify a household.

Interface: :func:`send` ``(household_id, text, reference) -> message_id``. Production resolves the
household head's phone number and calls the SMS gateway; sending never blocks a loan workflow
(failures are logged, not raised). Sandbox: keeps every message (``SANDBOX#sms#LOG``), readable with
:func:`sandbox_messages`.
"""
from __future__ import annotations

import uuid

from chalicelib.adapters import require_sandbox_stage, sandbox
from chalicelib.platform.clock import utc_now_iso

ADAPTER = "sms"


def send(household_id: str, text: str, *, reference: str) -> str:
    require_sandbox_stage()
    message_id = uuid.uuid4().hex[:16]
    sandbox.put_record(ADAPTER, f"{reference}#{utc_now_iso()}#{message_id}",
                       {"household_id": household_id, "text": text, "reference": reference,
                        "message_id": message_id})
    return message_id


def sandbox_messages(reference: str) -> list[dict]:
    """Messages the sandbox kept for ``reference`` (e.g. a drawdown or loan id), oldest first."""
    return sandbox.records(ADAPTER, f"{reference}#")
