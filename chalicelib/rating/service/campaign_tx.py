"""The write machinery of the village campaign's steps: the per-household :class:`Unit` of writes, their batched
commit (:func:`commit_units`, ≤ 100 operations per transaction, the campaign's progress counters included) and the
change of the campaign item itself with its audit record (:func:`update_campaign`).

Also the process's clients the steps share (S3, Step Functions, logger), created once per process.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.platform import dynamo
from chalicelib.platform.errors import Conflict, DomainError, NotFound
from chalicelib.rating.data import campaigns as camp_repo
from chalicelib.rating.data import credit_lines as line_repo
from chalicelib.rating.domain import village_credit as vc

if TYPE_CHECKING:
    from chalicelib.platform.settings import Settings

#: The actor of the workflow's own changes in audit records.
SYSTEM_ACTOR = "system:campaign"
#: The grades the campaign counts (``grade_<G>`` counters on the campaign item).
GRADES = ("AAA", "AA", "A", "NONE")
_MAX_TX_OPS = 100


def settings() -> Settings:
    from chalicelib.platform.settings import get_settings

    return get_settings()


@cache
def s3() -> Any:
    """The process's S3 client."""
    from chalicelib.platform import aws

    return aws.s3()


@cache
def sfn() -> Any:
    """The process's Step Functions client."""
    from chalicelib.platform import aws

    return aws.stepfunctions()


def execution_status(campaign: dict[str, Any]) -> str | None:
    """The Step Functions status of the campaign's current execution (None if unknown)."""
    from botocore.exceptions import ClientError

    arn = campaign.get("execution_arn")
    if not arn:
        return None
    try:
        status: str = sfn().describe_execution(executionArn=arn)["status"]
    except ClientError:
        return None
    return status


def log() -> Any:
    from chalicelib.platform.observability import logger

    return logger()


def audit(entity: str, entity_id: str, action: str, actor: str, before: Any, after: Any, org_path: str,
          reason: str | None = None) -> dynamo.Audit:
    """The audit record of a change of a campaign's item (``entity`` campaign, rating or credit_line)."""
    return dynamo.Audit(entity, entity_id, action, actor, before=before, after=after, org_path=org_path,
                        reason=reason)


# ================================================================================= units of writes

@dataclass
class Unit:
    """The writes for one household, committed atomically (and together with other units).

    ``redo(owner)`` rebuilds the household's writes once its line slot turned out to be owned by line
    ``owner`` (or free: ``None``) when the transaction ran (see :func:`_flush`)."""

    tx: dynamo.TxBuilder
    rated: int = 0
    lines: int = 0
    limit: Decimal = Decimal("0")
    grade: str | None = None
    household_id: str | None = None
    redo: Callable[[str | None], Unit] | None = field(default=None, repr=False)


def commit(tx: dynamo.TxBuilder) -> None:
    """Commit, retrying transaction conflicts (parallel batches update the campaign's counters): at most 6
    attempts with exponential backoff and jitter; the last Conflict, or any other error, is raised."""
    for attempt in range(6):
        try:
            tx.commit()
            return
        except Conflict as exc:
            if exc.code != "CONCURRENT_UPDATE" or attempt == 5:
                raise
            time.sleep(0.05 * (2 ** attempt) * (0.5 + random.random()))


def _counter_update(tx: dynamo.TxBuilder, campaign_id: str, units: list[Unit]) -> None:
    rated = sum(u.rated for u in units)
    if not rated:
        return
    names = {"#rated": "rated", "#lines": "lines_proposed", "#limit": "limit_total"}
    values: dict[str, Any] = {":r": rated, ":l": sum(u.lines for u in units),
                              ":t": sum((u.limit for u in units), Decimal("0"))}
    parts = ["#rated :r", "#lines :l", "#limit :t"]
    for g in GRADES:
        n = sum(1 for u in units if u.grade == g)
        if n:
            names[f"#g{g}"] = f"grade_{g}"
            values[f":g{g}"] = n
            parts.append(f"#g{g} :g{g}")
    names["#st"] = "status"
    values[":cancelled"] = "cancelled"
    tx.update(settings().core_table, camp_repo.key(campaign_id), "ADD " + ", ".join(parts), values=values,
              names=names, condition="#st <> :cancelled",  # a cancelled campaign's proposals are withdrawn: none
              on_fail=Conflict(f"campaign {campaign_id} was cancelled", code="CAMPAIGN_CANCELLED"))  # may follow


#: The statuses the workflow's own steps write in: all but ``cancelled`` (a cancelled campaign's execution is
#: stopped, and a step still in flight must not change it; a completed one may be re-run: see ADR 0011, decision 3).
WORKFLOW_STATUSES = tuple(s for s in vc.CAMPAIGN_STATUSES if s != "cancelled")


def commit_units(campaign_id: str, units: list[Unit], *, counters: bool = True) -> None:
    """Commit units in as few transactions as fit (≤ 100 operations each, counters included)."""
    chunk: list[Unit] = []
    ops = 0
    budget = _MAX_TX_OPS - (1 if counters else 0)
    for u in units:
        if chunk and ops + len(u.tx.ops) > budget:
            _flush(campaign_id, chunk, counters)
            chunk, ops = [], 0
        chunk.append(u)
        ops += len(u.tx.ops)
    if chunk:
        _flush(campaign_id, chunk, counters)


_EXISTS = ("RATING_EXISTS", "CREDIT_LINE_EXISTS")
_SLOT = ("HOUSEHOLD_HAS_LINE", "HOUSEHOLD_LINE_CHANGED")
_SLOT_ATTEMPTS = 5


def _flush(campaign_id: str, chunk: list[Unit], counters: bool, attempt: int = 0) -> None:
    """Commit ``chunk`` in one transaction. When a unit's rating exists already (a concurrent run of the same
    campaign wrote it) or a household's line slot is not as the unit assumed, the units are written one by
    one; a unit whose slot decided otherwise is rebuilt from the slot's owner at that moment (``redo``)
    and written again, so whether a household gets a line is decided by the slot's condition."""
    tx = dynamo.TxBuilder()
    for u in chunk:
        tx.extend(u.tx)
    if counters:
        _counter_update(tx, campaign_id, chunk)
    try:
        commit(tx)
    except Conflict as exc:
        if exc.code not in _EXISTS + _SLOT:
            raise
        if len(chunk) > 1:  # one of them exists already or lost its slot: write them one by one
            for u in chunk:
                _flush(campaign_id, [u], counters)
            return
        if exc.code in _EXISTS:
            return  # written meanwhile by a concurrent run of the same campaign: nothing to do
        u = chunk[0]
        if u.redo is None or u.household_id is None or attempt >= _SLOT_ATTEMPTS:
            raise
        owner = line_repo.slot_owners([u.household_id]).get(u.household_id)
        if owner == vc.line_id(campaign_id, u.household_id):
            return  # this campaign's own line: written meanwhile by a concurrent run of the campaign
        _flush(campaign_id, [u.redo(owner)], counters, attempt + 1)


# ================================================================================= the campaign item

Extra = Callable[[dynamo.TxBuilder, dict[str, Any]], None]


@dataclass
class CampaignChange:
    """A change of the campaign item: attributes to ``set_`` (a ``None`` value removes the attribute) and to
    ``remove``; the condition: its status in ``expect_status`` (None: any) AND ``condition`` (an expression on
    the item, values in ``cond_values``); ``on_fail`` when the condition fails; ``extra(tx, current)`` adds
    operations to the same transaction."""

    set_: dict[str, Any]
    actor: str
    action: str
    expect_status: Iterable[str] | None = None
    remove: Iterable[str] = ()
    reason: str | None = None
    on_fail: DomainError | None = None
    extra: Extra | None = None
    condition: str | None = None
    cond_values: dict[str, Any] | None = None


def update_campaign(campaign_id: str, set_: dict[str, Any], *, actor: str, action: str,
                    expect_status: Iterable[str] | None = None, remove: Iterable[str] = (),
                    reason: str | None = None, on_fail: DomainError | None = None, extra: Extra | None = None,
                    condition: str | None = None, cond_values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Change a campaign's attributes (bumping ``version``) with its audit record, in one transaction.

    ``extra(tx, current)`` adds operations to that transaction; ``condition`` (with ``cond_values``) is a
    further condition on the campaign item, ANDed with ``expect_status``. A change to a closed status
    (:data:`vc.CAMPAIGN_CLOSED_STATUSES`) releases the village's campaign lock in the same transaction if
    this campaign holds it. Raises NotFound ``CAMPAIGN_NOT_FOUND``, Conflict ``CAMPAIGN_STATE_CONFLICT`` (or
    ``on_fail``) when ``expect_status`` or ``condition`` does not hold, and whatever ``extra``'s operations
    raise. Returns the campaign as stored (without ``task_token``)."""
    change = CampaignChange(set_, actor, action, expect_status, remove, reason, on_fail, extra, condition,
                            cond_values)
    for attempt in range(3):
        try:
            return _update_campaign(campaign_id, change)
        except Conflict as exc:  # the lock was released by a concurrent closing of the same campaign
            if exc.code != "CAMPAIGN_LOCK_CHANGED" or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _expression(change: CampaignChange) -> tuple[str, dict[str, str], dict[str, Any], str | None, list[str]]:
    """(update expression, names, values, condition, removed attributes) of ``change``."""
    names = {"#v": "version"}
    values: dict[str, Any] = {":one": 1}
    set_ = {k: v for k, v in change.set_.items() if v is not None}
    removes = [*change.remove, *(k for k, v in change.set_.items() if v is None)]
    sets = []
    for n, (k, v) in enumerate(set_.items()):
        names[f"#s{n}"], values[f":s{n}"] = k, v
        sets.append(f"#s{n} = :s{n}")
    expr = "SET " + ", ".join(sets) if sets else ""
    if removes:
        names.update({f"#r{n}": k for n, k in enumerate(removes)})
        expr += " REMOVE " + ", ".join(f"#r{n}" for n in range(len(removes)))
    expr += " ADD #v :one"
    values.update(change.cond_values or {})
    condition = change.condition
    if change.expect_status is not None:
        statuses = list(change.expect_status)
        names["#st"] = "status"
        values.update({f":e{n}": s for n, s in enumerate(statuses)})
        in_status = "#st IN (" + ", ".join(f":e{n}" for n in range(len(statuses))) + ")"
        condition = f"{in_status} AND ({condition})" if condition else in_status
    return expr.strip(), names, values, condition, removes


def _update_campaign(campaign_id: str, change: CampaignChange) -> dict[str, Any]:
    current = camp_repo.get_unscoped(campaign_id)
    if current is None:
        raise NotFound("campaign not found", code="CAMPAIGN_NOT_FOUND", field="campaign_id")
    expr, names, values, condition, removes = _expression(change)
    set_ = {k: v for k, v in change.set_.items() if v is not None}
    tx = dynamo.TxBuilder()
    tx.update(settings().core_table, camp_repo.key(campaign_id), expr, values=values, names=names,
              condition=condition, on_fail=change.on_fail or Conflict(f"campaign {campaign_id} is {current['status']}",
                                                                      code="CAMPAIGN_STATE_CONFLICT"))
    after = {**{k: v for k, v in current.items() if k not in removes}, **set_}
    after.pop("task_token", None)
    tx.audit(settings().audit_table, audit("campaign", campaign_id, change.action, change.actor,
                                           {k: current.get(k) for k in ("status", "version")},
                                           {k: after.get(k) for k in ["status", *set_] if k != "task_token"},
                                           current["org_path"], change.reason))
    if change.extra is not None:
        change.extra(tx, current)
    if set_.get("status") in vc.CAMPAIGN_CLOSED_STATUSES:
        lock = camp_repo.get_lock(current["village_code"])
        if lock is not None and lock.get("campaign_id") == campaign_id:
            camp_repo.add_release_lock(tx, current["village_code"], campaign_id)
    commit(tx)
    return {**after, "version": current.get("version", 0) + 1}
