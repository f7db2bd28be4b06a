"""Manual reconciliation (人工对账) of a disbursement whose core-banking result stayed unknown.

The rule (docs/decisions/0021, decision 7): **the core-banking system is the book of record of whether the
money left.** A person's answer is checked against the core's own answer to a status query of the transfer:

============  ==================  ===============================================================
core says     person answers      result
============  ==================  ===============================================================
posted        posted, same ref    ``BOOK``: the loan is opened from the core's facts (ref, amount)
posted        posted, other ref   refused: :class:`Contradiction` (409 ``RECONCILIATION_CONTRADICTS_CORE``)
posted        not posted          refused: :class:`Contradiction`
not posted    posted              refused: :class:`Contradiction`
not posted    not posted          ``RELEASE``: the reservation goes back to the line
unknown       either              ``PROPOSE``: a proposal with evidence, applied only when a second
                                  person approves it (maker-checker, 双人复核)
============  ==================  ===============================================================

A core that reports a posting of another amount than the drawdown's is never booked automatically
(:class:`AmountMismatch`, 409 ``CORE_AMOUNT_MISMATCH``): that is a case for the core's own correction process.

Pure: no I/O. The core's answer comes in as :class:`CoreFacts` (built by :func:`core_facts` from the adapter's
``query`` result, ``chalicelib/adapters/core_banking.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chalicelib.platform.errors import Conflict, ValidationFailed

#: What the core says about a transfer.
POSTED, NOT_POSTED, UNKNOWN = "posted", "not_posted", "unknown"
#: What the reconciliation does.
BOOK, RELEASE, PROPOSE = "book", "release", "propose"

#: The core adapter's query statuses → what they say. ``not_found``: the core never received the request
#: (or refused it before posting); ``failed``: refused for good. Anything else (``unknown``, a timeout) says
#: nothing.
_CORE_STATUS = {"success": POSTED, "failed": NOT_POSTED, "not_found": NOT_POSTED}


@dataclass(frozen=True)
class CoreFacts:
    """The core system's answer to a status query of one transfer, at ``checked_at`` (ISO 8601 UTC).
    ``core_ref`` and ``amount`` (Decimal CNY) are set when ``status`` is ``posted``."""

    status: str
    core_ref: str | None = None
    amount: Decimal | None = None
    checked_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (money as a decimal string, as everywhere in the API)."""
        return {"status": self.status, "core_ref": self.core_ref,
                "amount": f"{self.amount:.2f}" if self.amount is not None else None, "checked_at": self.checked_at}


@dataclass(frozen=True)
class Answer:
    """What a person says they found: ``posted`` and, if posted, the core's reference ``core_ref``."""

    posted: bool
    core_ref: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"posted": self.posted, "core_ref": self.core_ref}


class Contradiction(Conflict):
    """The answer contradicts the core system (409 ``RECONCILIATION_CONTRADICTS_CORE``; ``details`` carry
    both facts: ``core`` and ``answer``)."""


class AmountMismatch(Conflict):
    """The core posted another amount than the drawdown's (409 ``CORE_AMOUNT_MISMATCH``)."""


def core_facts(result: dict[str, Any], checked_at: str) -> CoreFacts:
    """:class:`CoreFacts` from the adapter's query result ``{"status", "core_ref", "amount"}``."""
    status = _CORE_STATUS.get(str(result.get("status")), UNKNOWN)
    if status != POSTED:
        return CoreFacts(status=status, checked_at=checked_at)
    amount = result.get("amount")
    return CoreFacts(status=POSTED, core_ref=result.get("core_ref"),
                     amount=Decimal(str(amount)) if amount is not None else None, checked_at=checked_at)


def check_answer(answer: Answer) -> None:
    """The answer is complete: ``posted`` needs the core reference the person saw (422 ``CORE_REF_REQUIRED``,
    field ``core_ref``); ``not posted`` has none (422 ``CORE_REF_UNEXPECTED``)."""
    if answer.posted and not (answer.core_ref or "").strip():
        raise ValidationFailed("a posted transfer is identified by the core's reference: send core_ref",
                               code="CORE_REF_REQUIRED", field="core_ref")
    if not answer.posted and answer.core_ref is not None:
        raise ValidationFailed("a transfer that was not posted has no core reference: leave core_ref out",
                               code="CORE_REF_UNEXPECTED", field="core_ref")


def judge(core: CoreFacts, answer: Answer, amount: Decimal) -> str:
    """``BOOK``, ``RELEASE`` or ``PROPOSE`` for ``answer`` given ``core`` (table in the module docstring);
    ``amount`` is the drawdown's (Decimal CNY). Raises :class:`Contradiction` or :class:`AmountMismatch`."""
    check_answer(answer)
    if core.status == UNKNOWN:
        return PROPOSE
    details = {"core": core.to_dict(), "answer": answer.to_dict()}
    if core.status == NOT_POSTED:
        if answer.posted:
            raise Contradiction("the core system shows no posting of this transfer: it cannot be booked as posted",
                                code="RECONCILIATION_CONTRADICTS_CORE", field="posted", details=details)
        return RELEASE
    if not answer.posted:
        raise Contradiction(f"the core system shows this transfer posted ({core.core_ref}): the line cannot be "
                            "released", code="RECONCILIATION_CONTRADICTS_CORE", field="posted", details=details)
    if answer.core_ref != core.core_ref:
        raise Contradiction(f"the core system posted this transfer as {core.core_ref}, not {answer.core_ref}",
                            code="RECONCILIATION_CONTRADICTS_CORE", field="core_ref", details=details)
    if core.amount is not None and core.amount != amount:
        raise AmountMismatch(f"the core system posted {core.amount} CNY, the drawdown is {amount} CNY: correct the "
                             "posting in the core system first", code="CORE_AMOUNT_MISMATCH",
                             details={**details, "drawdown_amount": f"{amount:.2f}"})
    return BOOK
