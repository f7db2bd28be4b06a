"""The composition root of the in-process events (``chalicelib.platform.events``): which context handles which
event another context publishes. The publisher imports no subscriber; this module knows both.

:func:`wire` runs once per process wherever an event may be published: in every API function (through
``chalicelib.routes.wire``) and in the task functions that publish (``functions/tasks/disbursement_complete.py``
opens loans). It imports no context: each handler imports its context on first use, so wiring stays off the cold
start.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform import events


def wire() -> None:
    """Subscribe every context's handlers (idempotent)."""
    events.subscribe(events.LOAN_OPENED, _postloan_on_loan_opened)


def _postloan_on_loan_opened(loan: dict[str, Any]) -> None:
    """Post-loan plans the new loan's first inspection and notes the draw for the cycling check."""
    from chalicelib.postloan import public as postloan

    postloan.on_loan_opened(loan)
