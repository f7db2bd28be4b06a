"""What other contexts may use of the rating context: households' ratings, and the available amounts of credit lines
(reserved, committed, released and restored by the loans context inside its own transactions). The context map is
in docs/decisions/0006-bounded-contexts-and-pynamodb.md.

Shapes (plain dicts until the context's models are the interface, Phase B): a rating ``{"rating_id",
"household_id", "campaign_id", "status" (auto | adjusted | approved | effective | expired | withdrawn), "grade",
"score", "valid_from", "valid_to", "line_id"?, "org_path", ...}``; a credit line ``{"line_id", "household_id",
"status" (proposed | active | frozen | expired | withdrawn), "limit", "available" (CNY, Decimal), "valid_from",
"valid_to", "sub_lines": [{"product_code", "limit", "available"}], "version", ...}``.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.rating.data import line_usage as _line_usage
from chalicelib.rating.data import ratings as _ratings
from chalicelib.rating.data.line_usage import AlreadyReserved, LineRefused

__all__ = ["AlreadyReserved", "LineRefused", "add_commit", "add_release", "add_reserve", "add_restore",
           "current_rating", "due_for_expiry", "get_line", "rating_unscoped", "rating_valid", "refusal"]


# ----------------------------------------------------------------------------------------- ratings
def rating_unscoped(rating_id: str) -> dict[str, Any] | None:
    """The whole rating (main item with its detail: points, reasons, figures), or ``None``. Unscoped."""
    return _ratings.get_unscoped(rating_id)


def current_rating(household_id: str, rating_id: str | None = None) -> dict[str, Any] | None:
    """The rating ``rating_id`` (the one a line was granted on: one read) or else the household's newest, or
    ``None``."""
    if rating_id:
        item = _ratings.get_unscoped(rating_id)
        if item is not None:
            return item
    return _ratings.newest_for_household(household_id)


def rating_valid(rating: dict[str, Any] | None, today: date) -> bool:
    """True when the rating is ``effective`` and ``valid_to`` is not before ``today``."""
    return rating is not None and rating.get("status") == "effective" and \
        (rating.get("valid_to") or "") >= today.isoformat()


def due_for_expiry(day: str) -> list[dict[str, Any]]:
    """Effective ratings and active lines whose ``valid_to`` is ``day`` (ISO date): the expiry queue, items with
    ``kind`` ``rating`` or ``credit_line``."""
    return _ratings.due_for_expiry(day)


# ----------------------------------------------------------------------------------------- line usage
# Each ``add_*`` adds its operations to the caller's transaction, so that the change of the line and the change of
# the drawdown or loan land together (rating/data/line_usage.py explains the conditions).

def get_line(line_id: str) -> dict[str, Any] | None:
    """The credit line with its ``sub_lines``, or ``None``. Unscoped."""
    return _line_usage.get_line(line_id)


def refusal(line: dict[str, Any] | None, product_code: str, amount: Decimal, today: date) -> LineRefused | None:
    """Why the line cannot give ``amount`` of ``product_code`` today (a :class:`LineRefused` whose code says why:
    ``MASTER_LINE_EXCEEDED``, ``SUB_LINE_EXCEEDED``, ``LINE_NOT_ACTIVE``, ``LINE_NOT_VALID_TODAY``,
    ``SUB_LINE_MISSING``), or ``None`` when it can."""
    return _line_usage.refusal(line, product_code, amount, today)


def add_reserve(tx: dynamo.TxBuilder, *, line_id: str, product_code: str, amount: Decimal, drawdown_id: str,
                today: date) -> None:
    """Reserve ``amount`` on the master line and the product's sub-line for the drawdown. The transaction fails
    with :class:`LineRefused` (``LINE_REFUSED``) when the line cannot give it, :class:`AlreadyReserved` when the
    drawdown holds a reservation already."""
    _line_usage.add_reserve(tx, line_id=line_id, product_code=product_code, amount=amount, drawdown_id=drawdown_id,
                            today=today)


def add_commit(tx: dynamo.TxBuilder, *, line_id: str, drawdown_id: str, loan_id: str) -> None:
    """The drawdown's reservation becomes the loan's (the amount stays used); Conflict ``RESERVATION_NOT_OPEN``
    when it is not reserved."""
    _line_usage.add_commit(tx, line_id=line_id, drawdown_id=drawdown_id, loan_id=loan_id)


def add_release(tx: dynamo.TxBuilder, *, line_id: str, product_code: str, amount: Decimal, drawdown_id: str) -> None:
    """Give a reservation back to the line (the transfer failed); Conflict ``RESERVATION_NOT_OPEN`` when it is not
    reserved."""
    _line_usage.add_release(tx, line_id=line_id, product_code=product_code, amount=amount, drawdown_id=drawdown_id)


def add_restore(tx: dynamo.TxBuilder, line: dict[str, Any], product_code: str, amount: Decimal) -> None:
    """Return repaid principal (Decimal CNY) to the master line and the product's sub-line of ``line`` (as read),
    never above each limit, by a commutative update: concurrent repayments of the line's loans do not conflict
    (Conflict ``CONCURRENT_UPDATE`` only when the line's limit changed or its amounts break the invariant; see
    ``chalicelib.rating.data.line_usage.add_restore``)."""
    _line_usage.add_restore(tx, line, product_code, amount)


def available_amounts(line_id: str, product_code: str) -> dict[str, Decimal]:
    """``{"master_available", "sub_available"?}`` of the line now (a consistent read; the sub-line's only when the
    line has one for ``product_code``; ``{}`` for an unknown line)."""
    return _line_usage.available_amounts(line_id, product_code)
