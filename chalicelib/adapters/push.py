"""Push (站内推送) adapter: notify a member of staff (an account manager) on the PAD / mobile app.

Interface: :func:`send` ``(user_id, text, *, reference) -> message_id``. Production calls the province's
mobile-workbench push service; sending never blocks a job (the caller keeps an outbox and retries).
Sandbox: keeps every message (``SANDBOX#push#LOG``), readable with :func:`sandbox_messages`.
"""
from __future__ import annotations

import uuid

from chalicelib.adapters import require_sandbox_stage, sandbox
from chalicelib.platform.clock import utc_now_iso

ADAPTER = "push"


def send(user_id: str, text: str, *, reference: str) -> str:
    require_sandbox_stage()
    message_id = uuid.uuid4().hex[:16]
    sandbox.put_record(ADAPTER, f"{reference}#{utc_now_iso()}#{message_id}",
                       {"user_id": user_id, "text": text, "reference": reference, "message_id": message_id})
    return message_id


def sandbox_messages(reference: str) -> list[dict]:
    """Messages the sandbox kept for ``reference``, oldest first."""
    return sandbox.records(ADAPTER, f"{reference}#")
