"""Core banking (核心系统) adapter: post a disbursement transfer once, and query its result.

Interface
---------
* :func:`transfer` ``(request_id, amount, from_account, to_account, reference) -> {"status", "core_ref"}``:
  ``status`` is ``success``, ``failed`` (definitive, with ``reason``) or ``unknown`` (the core system
  answered but cannot say yet). A lost answer raises :class:`CoreBankingTimeout`. ``request_id`` is the
  idempotency key of the core system: repeating a request id never posts twice.
* :func:`query` ``(request_id) -> {"status", "core_ref", "amount"}``: ``success`` (posted: with the core's
  reference and the posted amount, Decimal CNY), ``failed``, ``not_found`` (never posted) or ``unknown``;
  raises :class:`CoreBankingTimeout`. The disbursement saga's Query step and manual reconciliation
  (:mod:`chalicelib.loans.service.reconciliation`, which trusts this answer over any person's) both use it.

Sandbox
-------
Keeps a ledger of postings (``SANDBOX#core_banking#LOG``, one item per request id, written with a
condition so a request id posts at most once) and counts every ``transfer`` call per request id.
Scripted outcomes (:mod:`chalicelib.adapters.sandbox`, keys ``<request_id>#transfer`` and
``<request_id>#query``):

* transfer: ``ok`` (post, answer success; the default), ``timeout`` (post, then lose the answer),
  ``timeout_before`` (lose the request: nothing posted), ``fail`` (nothing posted, answer failed),
  ``unknown`` (post, answer unknown).
* query: ``real`` (answer from the ledger; the default), ``unknown``, ``timeout``.

So a test decides what the core "knows" when a case is reconciled by scripting ``<request_id>#query`` (a new
script restarts at its first step): ``real`` answers *posted* after a transfer scripted ``ok``, ``timeout`` or
``unknown`` (those post) and *not found* after ``timeout_before`` or ``fail`` (those post nothing);
``unknown`` and ``timeout`` leave the core's answer unknown.
"""
from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from chalicelib.adapters import require_sandbox_stage, sandbox
from chalicelib.platform.clock import utc_now_iso

ADAPTER = "core_banking"


class CoreBankingTimeout(Exception):
    """The core system did not answer in time; the request may or may not have been executed."""


def transfer(request_id: str, amount: Decimal, *, from_account: str, to_account: dict[str, Any],
             reference: str) -> dict[str, Any]:
    require_sandbox_stage()
    outcome = sandbox.next_outcome(ADAPTER, f"{request_id}#transfer", "ok")
    if outcome == "timeout_before":
        raise CoreBankingTimeout(f"core banking did not answer request {request_id}")
    if outcome == "fail":
        return {"status": "failed", "reason": "ACCOUNT_REJECTED", "core_ref": None}
    new = {"request_id": request_id, "kind": "posting", "amount": Decimal(amount), "from_account": from_account,
           "to_account": to_account, "reference": reference, "posted_at": utc_now_iso(),
           "core_ref": "CB" + hashlib.sha256(request_id.encode()).hexdigest()[:14].upper()}
    posting: dict[str, Any] | None = new
    if not sandbox.put_record(ADAPTER, f"POST#{request_id}", new, only_once=True):
        posting = sandbox.get_record(ADAPTER, f"POST#{request_id}")  # a repeated request id posts nothing
    if outcome == "timeout":
        raise CoreBankingTimeout(f"core banking did not answer request {request_id}")
    if outcome == "unknown":
        return {"status": "unknown", "core_ref": None}
    if posting is None:  # the sandbox lost a posting it said it had: a fault of ours
        raise RuntimeError(f"core-banking sandbox: posting {request_id} vanished")
    return {"status": "success", "core_ref": posting["core_ref"]}


def query(request_id: str) -> dict[str, Any]:
    require_sandbox_stage()
    outcome = sandbox.next_outcome(ADAPTER, f"{request_id}#query", "real")
    if outcome == "timeout":
        raise CoreBankingTimeout(f"core banking did not answer the query for {request_id}")
    if outcome == "unknown":
        return {"status": "unknown"}
    posting = sandbox.get_record(ADAPTER, f"POST#{request_id}")
    if posting is None:
        return {"status": "not_found"}
    return {"status": "success", "core_ref": posting["core_ref"], "amount": Decimal(posting["amount"])}


def sandbox_postings(reference: str | None = None) -> list[dict[str, Any]]:
    """Postings the sandbox made (optionally for one ``reference``, e.g. a drawdown id)."""
    items = sandbox.records(ADAPTER, "POST#")
    return [i for i in items if reference is None or i.get("reference") == reference]


def sandbox_calls(request_id: str) -> int:
    """How many times :func:`transfer` was called with ``request_id``."""
    return sandbox.calls(ADAPTER, f"{request_id}#transfer")
