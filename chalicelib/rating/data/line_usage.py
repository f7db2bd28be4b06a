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
  above the limit) by a commutative ``available = available + :amount``, so concurrent repayments of loans
  of one line never invalidate each other (see the function).

Together they keep ``available = limit − outstanding principal − reserved`` on master and sub-line: each
moves ``available`` by exactly the amount it moves out of or back into use, and ``limit`` does not change
once a line is active (it is written by the proposal's versioned puts and by nothing else).

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


def reservation_key(line_id: str, drawdown_id: str) -> dict[str, str]:
    return {"PK": f"LINERSV#{line_id}", "SK": f"DD#{drawdown_id}"}


def get_line(line_id: str) -> dict[str, Any] | None:
    """The master line with ``sub_lines`` (rating subsystem's reader)."""
    return credit_lines.get_unscoped(line_id)


def sub_line(line: dict[str, Any], product_code: str) -> dict[str, Any] | None:
    return next((s for s in line.get("sub_lines", []) if s.get("product_code") == product_code), None)


def get_reservation(line_id: str, drawdown_id: str) -> dict[str, Any] | None:
    k = reservation_key(line_id, drawdown_id)
    return dynamo.get(_table(), k["PK"], k["SK"])


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
    tx.put(_table(), {**reservation_key(line_id, drawdown_id), "kind": "line_reservation", "line_id": line_id,
                      "drawdown_id": drawdown_id, "product_code": product_code, "amount": amount,
                      "status": "reserved", "reserved_at": now},
           condition="attribute_not_exists(PK)",
           on_fail=AlreadyReserved("the drawdown already holds a reservation", code="ALREADY_RESERVED"))


def add_commit(tx: dynamo.TxBuilder, *, line_id: str, drawdown_id: str, loan_id: str) -> None:
    tx.update(_table(), reservation_key(line_id, drawdown_id), "SET #s = :c, loan_id = :l, committed_at = :now",
              names={"#s": "status"}, values={":c": "committed", ":r": "reserved", ":l": loan_id,
                                              ":now": utc_now_iso()},
              condition="#s = :r", on_fail=Conflict("the reservation is not open", code="RESERVATION_NOT_OPEN"))


def add_release(tx: dynamo.TxBuilder, *, line_id: str, product_code: str, amount: Decimal, drawdown_id: str) -> None:
    tx.update(_table(), reservation_key(line_id, drawdown_id), "SET #s = :x, released_at = :now",
              names={"#s": "status"}, values={":x": "released", ":r": "reserved", ":now": utc_now_iso()},
              condition="#s = :r", on_fail=Conflict("the reservation is not open", code="RESERVATION_NOT_OPEN"))
    tx.update(_table(), credit_lines.key(line_id),
              "SET available = available + :a, version = if_not_exists(version, :zero) + :one, updated_at = :now",
              values={":a": amount, ":zero": 0, ":one": 1, ":now": utc_now_iso()})
    tx.update(_table(), credit_lines.sub_key(line_id, product_code), "SET available = available + :a",
              values={":a": amount})


def add_restore(tx: dynamo.TxBuilder, line: dict[str, Any], product_code: str, amount: Decimal) -> None:
    """Return repaid principal ``amount`` (Decimal CNY) to the master line and the product's sub-line of ``line``
    (as read, with ``sub_lines``), never above each one's limit.

    Each is ``SET available = available + :amount`` (a commutative update: the master's ``version`` too) with the
    condition ``limit = :limit AND available <= :room``, ``:room`` = limit − amount computed from the limit read:
    a condition cannot add, and the limit it was computed from is part of the condition, so the room is exact for
    the item as it is when DynamoDB applies the update. Concurrent restores of loans of one line (and
    reservations, ``available >= :amount``, and releases) therefore never invalidate one another: each holds
    whatever the others did, as long as ``available = limit − outstanding − reserved`` holds, which gives
    ``available + amount <= limit`` for every restore of outstanding principal. (Before, each restore was
    conditioned on the amount it had read, and 30 concurrent repayments of 15 loans of one line bounced with
    ``LOAN_BUSY`` after their retries.)

    The cap stays for data where the invariant does not hold: when the amount read plus ``amount`` is above the
    limit, the update sets ``available = limit`` conditioned on the amount read (as before); and when the room
    condition fails at write time, the transaction fails with Conflict ``CONCURRENT_UPDATE`` so the caller's
    retry reads again and takes that path. On AWS, concurrent transactions on one item can also be cancelled
    with ``TransactionConflict`` (the same retryable Conflict); they never change the outcome, only its timing.
    """
    stale = Conflict("the credit line changed meanwhile", code="CONCURRENT_UPDATE")
    common = {":zero": 0, ":one": 1, ":now": utc_now_iso()}
    _add_restore_one(tx, credit_lines.key(line["line_id"]), line, amount, on_fail=stale, extra=common,
                     extra_set=", version = if_not_exists(version, :zero) + :one, updated_at = :now")
    sub = sub_line(line, product_code)
    if sub is not None:
        _add_restore_one(tx, credit_lines.sub_key(line["line_id"], product_code), sub, amount, on_fail=stale)


def _add_restore_one(tx: dynamo.TxBuilder, key: dict[str, str], item: dict[str, Any], amount: Decimal, *,
                     on_fail: Exception, extra: dict[str, Any] | None = None, extra_set: str = "") -> None:
    limit, old = Decimal(item["limit"]), Decimal(item["available"])
    if old + amount <= limit:  # the invariant holds: commutative
        tx.update(_table(), key, "SET available = available + :a" + extra_set,
                  values={":a": amount, ":limit": limit, ":room": limit - amount, **(extra or {})},
                  names={"#lim": "limit"}, condition="#lim = :limit AND available <= :room", on_fail=on_fail)
    else:  # it does not (data from elsewhere): cap at the limit, conditioned on the amount read
        tx.update(_table(), key, "SET available = :new" + extra_set,
                  values={":new": limit, ":old": old, **(extra or {})}, condition="available = :old", on_fail=on_fail)


def available_amounts(line_id: str, product_code: str) -> dict[str, Decimal]:
    """``{"master_available", "sub_available"}`` of the line now (a consistent read; the sub-line's only if
    the line has one for ``product_code``)."""
    line = get_line(line_id) or {}
    out = {"master_available": Decimal(str(line["available"]))} if line else {}
    sub = sub_line(line, product_code) if line else None
    if sub is not None:
        out["sub_available"] = Decimal(str(sub["available"]))
    return out
