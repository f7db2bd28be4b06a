"""Line usage (额度占用): reserve, commit, release and restore the available amount of a credit line.

The lines themselves belong to the rating subsystem (:mod:`chalicelib.rating.data.credit_lines`); this module
only moves their ``available`` amounts, always inside the caller's transaction (a :class:`TxBuilder`)
so that the change of the line and the change of the drawdown or loan land together:

* :func:`add_reserve`: master ``available -= amount`` with the condition ``available >= :amount AND
  status = active AND valid_from <= today <= valid_to``, the product sub-line likewise
  (``available >= :amount``), and a reservation item put with ``attribute_not_exists`` (a second
  reservation of the same drawdown fails instead of drawing twice). The master's ``version`` is
  incremented, so an optimistic writer of the line (``put_versioned``) cannot overwrite the new amount.
* :func:`add_commit`: the reservation becomes ``committed`` (the loan exists) — the amount stays used.
* :func:`add_release`: the reservation becomes ``released`` and master and sub-line get the amount back.
* :func:`add_restore`: principal repaid on a revolving product returns to master and sub-line (never
  above the limit), conditioned on the values read, so a concurrent change makes the caller retry.

Reservation item: ``LINERSV#<line_id>`` / ``DD#<drawdown_id>``: ``amount``, ``product_code``, ``status``
(reserved | committed | released), ``drawdown_id``, ``loan_id``, timestamps.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict, ValidationFailed
from chalicelib.rating.data import credit_lines


class LineRefused(ValidationFailed):
    """The line cannot give the amount (code names why: ``MASTER_LINE_EXCEEDED``, ``SUB_LINE_EXCEEDED``,
    ``LINE_NOT_ACTIVE``, ``LINE_NOT_VALID_TODAY``, ``SUB_LINE_MISSING``)."""


class AlreadyReserved(Conflict):
    """The drawdown already holds a reservation on this line."""


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().core_table


def get_line(line_id: str) -> dict[str, Any] | None:
    """The master line with ``sub_lines`` (rating subsystem's reader)."""
    return credit_lines.get_unscoped(line_id)


def sub_line(line: dict[str, Any], product_code: str) -> dict[str, Any] | None:
    return next((s for s in line.get("sub_lines", []) if s.get("product_code") == product_code), None)


def get_reservation(line_id: str, drawdown_id: str) -> dict[str, Any] | None:
    """The drawdown's reservation on the line (``amount``, ``product_code``, ``status``, ...), or ``None``."""
    from chalicelib.rating.data.models import LineReservation

    found = LineReservation.find(*LineReservation.key(line_id, drawdown_id))
    return found.state() if found else None


def refusal(line: dict[str, Any] | None, product_code: str, amount: Decimal, today: date) -> LineRefused | None:
    """Why the line cannot give ``amount`` today (None if it can), checked in the order master status,
    validity, master amount, sub-line."""
    if line is None or line.get("status") != "active":
        return LineRefused("the credit line is not active", code="LINE_NOT_ACTIVE", field="line_id")
    valid_from, valid_to = line.get("valid_from") or "", line.get("valid_to") or ""
    if not (valid_from or "9999") <= today.isoformat() <= valid_to:
        if valid_from and today.isoformat() < valid_from:
            why = f"the credit line is valid from {valid_from} (business date {today.isoformat()})"
        elif valid_to:
            why = f"the credit line expired on {valid_to} (business date {today.isoformat()})"
        else:
            why = "the credit line has no validity period"
        return LineRefused(why, code="LINE_NOT_VALID_TODAY", field="line_id",
                           details={"valid_from": valid_from or None, "valid_to": valid_to or None,
                                    "business_date": today.isoformat()})
    sub = sub_line(line, product_code)
    if sub is None:
        return LineRefused(f"the line has no {product_code} sub-line", code="SUB_LINE_MISSING",
                           field="product_code")
    from chalicelib.rating.domain.credit_line import check_drawdown_fits

    try:
        check_drawdown_fits(Decimal(line["available"]), Decimal(sub["available"]), amount)
    except ValidationFailed as exc:
        return LineRefused(exc.message, code=exc.code, field="amount", details=exc.details)
    return None


def add_reserve(tx: dynamo.TxBuilder, *, line_id: str, product_code: str, amount: Decimal, drawdown_id: str,
                today: date) -> None:
    """Add the reservation of ``amount`` to ``tx`` (see the module docstring)."""
    now = utc_now_iso()
    refused = LineRefused("the line cannot give this amount now", code="LINE_REFUSED", field="amount")
    tx.update(_table(), credit_lines.key(line_id),
              "SET available = available - :a, version = if_not_exists(version, :zero) + :one, updated_at = :now",
              values={":a": amount, ":active": "active", ":today": today.isoformat(), ":now": now, ":zero": 0,
                      ":one": 1},
              names={"#s": "status"},
              condition="available >= :a AND #s = :active AND valid_from <= :today AND valid_to >= :today",
              on_fail=refused)
    tx.update(_table(), credit_lines.sub_key(line_id, product_code), "SET available = available - :a",
              values={":a": amount}, condition="available >= :a", on_fail=refused)
    from chalicelib.rating.data.models import LineReservation

    reservation = LineReservation(line_id=line_id, drawdown_id=drawdown_id, product_code=product_code, amount=amount,
                                  status="reserved", reserved_at=now)
    tx.save(reservation, condition=LineReservation.PK.does_not_exist(),
            on_fail=AlreadyReserved("the drawdown already holds a reservation", code="ALREADY_RESERVED"))


def _not_open() -> Conflict:
    return Conflict("the reservation is not open", code="RESERVATION_NOT_OPEN")


def add_commit(tx: dynamo.TxBuilder, *, line_id: str, drawdown_id: str, loan_id: str) -> None:
    """Add to ``tx``: the drawdown's reservation becomes the loan's (condition: still ``reserved``)."""
    from chalicelib.rating.data.models import LineReservation as R

    tx.update_model(R.of(line_id, drawdown_id), [R.status.set("committed"), R.loan_id.set(loan_id),
                                                 R.committed_at.set(utc_now_iso())],
                    condition=R.status == "reserved", on_fail=_not_open())


def add_release(tx: dynamo.TxBuilder, *, line_id: str, product_code: str, amount: Decimal, drawdown_id: str) -> None:
    """Add to ``tx``: the reservation becomes ``released`` (condition: still ``reserved``) and master and sub-line
    get the amount back."""
    from chalicelib.rating.data.models import LineReservation as R

    tx.update_model(R.of(line_id, drawdown_id), [R.status.set("released"), R.released_at.set(utc_now_iso())],
                    condition=R.status == "reserved", on_fail=_not_open())
    tx.update(_table(), credit_lines.key(line_id),
              "SET available = available + :a, version = if_not_exists(version, :zero) + :one, updated_at = :now",
              values={":a": amount, ":zero": 0, ":one": 1, ":now": utc_now_iso()})
    tx.update(_table(), credit_lines.sub_key(line_id, product_code), "SET available = available + :a",
              values={":a": amount})


def add_restore(tx: dynamo.TxBuilder, line: dict[str, Any], product_code: str, amount: Decimal) -> dict[str, Decimal]:
    """Return repaid principal ``amount`` to the master line and the sub-line of ``line`` (as read, with
    ``sub_lines``), capped at each limit; conditioned on the amounts read. Returns the new amounts."""
    out: dict[str, Decimal] = {}
    stale = Conflict("the credit line changed meanwhile", code="CONCURRENT_UPDATE")
    old = Decimal(line["available"])
    new = min(Decimal(line["limit"]), old + amount)
    tx.update(_table(), credit_lines.key(line["line_id"]),
              "SET available = :new, version = if_not_exists(version, :zero) + :one, updated_at = :now",
              values={":new": new, ":old": old, ":zero": 0, ":one": 1, ":now": utc_now_iso()},
              condition="available = :old", on_fail=stale)
    out["master_available"] = new
    sub = sub_line(line, product_code)
    if sub is not None:
        s_old = Decimal(sub["available"])
        s_new = min(Decimal(sub["limit"]), s_old + amount)
        tx.update(_table(), credit_lines.sub_key(line["line_id"], product_code), "SET available = :new",
                  values={":new": s_new, ":old": s_old}, condition="available = :old", on_fail=stale)
        out["sub_available"] = s_new
    return out
