"""Writing many household changes at once (the roster import): as few transactions as possible, each household
atomically, a household whose condition fails dropped with its error and the rest written again."""
from __future__ import annotations

from typing import Any

from chalicelib.customers.data.household_items import Plan
from chalicelib.customers.data.households import add_to_tx
from chalicelib.platform.errors import Conflict, DomainError


def _groups(plans: list[Plan], max_ops: int) -> list[list[Plan]]:
    """Plans packed into groups of at most ``max_ops`` operations (a household's writes never span two)."""
    groups: list[list[Plan]] = []
    current: list[Plan] = []
    size = 0
    for plan in plans:
        ops = 2 + len(plan.rid_puts) + len(plan.rid_deletes)
        if current and size + ops > max_ops:
            groups.append(current)
            current, size = [], 0
        current.append(plan)
        size += ops
    if current:
        groups.append(current)
    return groups


def _send(group: list[Plan], *, actor_id: str, reason: str | None
          ) -> tuple[dict[str, dict[str, Any]], dict[str, DomainError] | None]:
    """One transaction of ``group``: ``(stored items, None)`` when written, else ``({}, errors of the households
    whose conditions failed)`` (empty when cancelled for another reason, e.g. a concurrent transaction)."""
    from botocore.exceptions import ClientError

    from chalicelib.platform import aws
    from chalicelib.platform.dynamo.tx import Transaction, reason_error

    tx = Transaction()
    spans: list[tuple[Plan, int, int]] = []
    outs: dict[str, dict[str, Any]] = {}
    for plan in group:
        start = len(tx.ops)
        outs[plan.household_id] = add_to_tx(tx, plan, actor_id=actor_id, reason=reason)
        spans.append((plan, start, len(tx.ops)))
    try:
        aws.dynamodb().transact_write_items(TransactItems=tx.ops)
        return outs, None
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = exc.response.get("CancellationReasons") or []
    failed: dict[str, DomainError] = {}
    for plan, start, end in spans:
        for i in range(start, min(end, len(reasons))):
            code = str(reasons[i].get("Code"))
            if code == "ConditionalCheckFailed" or code.startswith("Validation"):
                err = reason_error(reasons[i], tx.labels[i])
                if not isinstance(err, DomainError):
                    raise err or RuntimeError(f"transaction cancelled: {code}")
                failed[plan.household_id] = err
                break
    return {}, failed


def commit_plans(plans: list[Plan], *, actor_id: str, reason: str | None = None,
                 max_ops: int = 100) -> tuple[dict[str, dict[str, Any]], dict[str, DomainError]]:
    """Write many household changes with as few transactions as possible, each household atomically.

    Plans are packed into transactions of at most ``max_ops`` operations. When a transaction is cancelled, the
    households whose conditions failed are dropped with their error (e.g. ``PERSON_IN_OTHER_HOUSEHOLD`` naming
    the member; a value the store refuses: ``VALUE_NOT_STORABLE``, see ``tx.reason_error``) and the rest of the
    group is written again. Returns ``(stored items by household id, errors by household id)``.
    """
    done: dict[str, dict[str, Any]] = {}
    failed: dict[str, DomainError] = {}
    queue = _groups(plans, max_ops)
    while queue:
        group = queue.pop(0)
        written, bad = _send(group, actor_id=actor_id, reason=reason)
        if bad is None:
            done.update(written)
        elif bad:
            failed.update(bad)
            rest = [p for p in group if p.household_id not in bad]
            if rest:
                queue.insert(0, rest)
        elif len(group) == 1:  # cancelled for another reason (e.g. a concurrent transaction)
            failed[group[0].household_id] = Conflict("the data changed meanwhile; retry", code="CONCURRENT_UPDATE")
        else:  # retry one by one
            queue = [[p] for p in group] + queue
    return done, failed
