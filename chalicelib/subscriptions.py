"""The composition root of the in-process events (``chalicelib.platform.events``): which context handles which
event another context publishes (the publisher imports no subscriber; this module knows both), and the lookups a
context needs from a context that depends on it (loans' drawdown approval counts post-loan's red warnings).

:func:`wire` runs once per process wherever an event may be published: in every API function (through
``chalicelib.routes.wire``) and in the task functions that publish (``functions/tasks/disbursement_complete.py``
opens loans, ``functions/tasks/loan_evaluate.py`` decides drawdowns). Each handler imports its context on first
use, so wiring stays off the cold start.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform import events


def wire() -> None:
    """Subscribe every context's handlers (idempotent)."""
    from chalicelib.loans.service import borrowers

    events.subscribe(events.LOAN_OPENED, _postloan_on_loan_opened)
    borrowers.use_red_warnings(_postloan_open_red_warnings)


def _postloan_on_loan_opened(loan: dict[str, Any]) -> None:
    """Post-loan plans the new loan's first inspection and notes the draw for the cycling check."""
    from chalicelib.postloan import public as postloan

    postloan.on_loan_opened(loan)


def _postloan_open_red_warnings(household_id: str) -> int:
    """Post-loan's count of the household's open or acknowledged red warnings (for drawdown approval)."""
    from chalicelib.postloan import public as postloan

    return postloan.open_red_warnings(household_id)
