"""The one DynamoDB transaction of the product (one ``TransactWriteItems`` call), optimistic locking and the retry of
conflicting attempts.

Every change of an aggregate is written in one transaction together with its audit record, so the change and
its audit trail land together or not at all.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.dynamo.items import client, not_storable, to_item
from chalicelib.platform.errors import Conflict, TooManyRequests


@dataclass
class Audit:
    """One audit record: who did what to which entity, with the state before and after."""

    entity_type: str
    entity_id: str
    action: str
    actor_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    org_path: str = "/"
    reason: str | None = None

    def to_record(self) -> dict[str, Any]:
        at = utc_now_iso()
        return {
            "PK": f"{self.entity_type}#{self.entity_id}",
            "SK": f"{at}#{uuid.uuid4().hex[:12]}",
            "GSI1PK": f"ACTOR#{self.actor_id}",
            "GSI1SK": at,
            "entity_type": self.entity_type, "entity_id": self.entity_id, "action": self.action,
            "actor_id": self.actor_id, "at": at, "org_path": self.org_path, "reason": self.reason,
            "before": _strip_keys(self.before), "after": _strip_keys(self.after),
        }


def _strip_keys(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {k: v for k, v in state.items() if k not in ("PK", "SK") and not k.startswith("GSI")}


@dataclass
class TxBuilder:
    """Collects the operations of one ``TransactWriteItems`` call (at most 100 on AWS).

    ``labels`` keeps, per operation, the domain error to raise when that operation's condition fails.
    """

    ops: list[dict[str, Any]] = field(default_factory=list)
    labels: list[Exception | None] = field(default_factory=list)

    def put(self, table: str, item: dict[str, Any], *, condition: str | None = None,
            values: dict[str, Any] | None = None, names: dict[str, str] | None = None,
            on_fail: Exception | None = None) -> TxBuilder:
        op: dict[str, Any] = {"TableName": table, "Item": to_item(item)}
        _add_condition(op, condition, values, names)
        self.ops.append({"Put": op})
        self.labels.append(on_fail)
        return self

    def update(self, table: str, key: dict[str, str], update: str, *, values: dict[str, Any],
               names: dict[str, str] | None = None, condition: str | None = None,
               on_fail: Exception | None = None) -> TxBuilder:
        op: dict[str, Any] = {"TableName": table, "Key": to_item(key), "UpdateExpression": update,
                              "ExpressionAttributeValues": to_item(values)}
        if names:
            op["ExpressionAttributeNames"] = names
        if condition:
            op["ConditionExpression"] = condition
        self.ops.append({"Update": op})
        self.labels.append(on_fail)
        return self

    def delete(self, table: str, key: dict[str, str], *, condition: str | None = None,
               values: dict[str, Any] | None = None, names: dict[str, str] | None = None,
               on_fail: Exception | None = None) -> TxBuilder:
        op: dict[str, Any] = {"TableName": table, "Key": to_item(key)}
        _add_condition(op, condition, values, names)
        self.ops.append({"Delete": op})
        self.labels.append(on_fail)
        return self

    def check(self, table: str, key: dict[str, str], condition: str, *, values: dict[str, Any] | None = None,
              names: dict[str, str] | None = None, on_fail: Exception | None = None) -> TxBuilder:
        op: dict[str, Any] = {"TableName": table, "Key": to_item(key)}
        _add_condition(op, condition, values, names)
        self.ops.append({"ConditionCheck": op})
        self.labels.append(on_fail)
        return self

    def audit(self, audit_table: str, audit: Audit) -> TxBuilder:
        return self.put(audit_table, audit.to_record(), condition="attribute_not_exists(PK)")

    def commit(self, *, token: str | None = None) -> None:
        """Run the transaction; a cancelled one raises :func:`cancellation_error` (a failed condition: that
        operation's ``on_fail`` error, default Conflict ``CONCURRENT_UPDATE``). ``token`` makes the call
        idempotent for 10 minutes."""
        if not self.ops:
            return
        from botocore.exceptions import ClientError

        kwargs: dict[str, Any] = {"TransactItems": self.ops}
        if token:
            kwargs["ClientRequestToken"] = token[:36]
        try:
            client().transact_write_items(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            raise cancellation_error(exc.response.get("CancellationReasons") or [], self.labels) from None


def reason_error(reason: dict[str, Any], label: Exception | None) -> Exception | None:
    """The error one cancellation reason of ``TransactWriteItems`` stands for, or ``None`` (``"None"``: this
    operation was fine). Codes from the DynamoDB API reference, TransactWriteItems, CancellationReasons:

    * ``ConditionalCheckFailed`` → ``label`` (the operation's ``on_fail``), default Conflict
      ``CONCURRENT_UPDATE``;
    * ``TransactionConflict`` (another transaction on the same item) → Conflict ``CONCURRENT_UPDATE``: retry;
    * ``ValidationError`` (a value DynamoDB refuses: a number out of range, an item over 400 KB, ...) →
      :func:`not_storable` (422): never ``VERSION_CONFLICT``, which a client would retry for ever;
    * ``ThrottlingError`` / ``ProvisionedThroughputExceeded`` / ``RequestLimitExceeded`` → 429 ``THROTTLED``;
    * anything else (``ItemCollectionSizeLimitExceeded``, a new code) → RuntimeError: a fault of ours, 500."""
    code = reason.get("Code")
    if code in (None, "None"):
        return None
    if code == "ConditionalCheckFailed":
        return label or Conflict("the data changed meanwhile; reload and retry", code="CONCURRENT_UPDATE")
    if code == "TransactionConflict":
        return Conflict("the data changed meanwhile; retry", code="CONCURRENT_UPDATE")
    if str(code).startswith("Validation"):  # AWS: ValidationError; moto: "ValidationException 400 ..."
        return not_storable(str(reason.get("Message") or code))
    if code in ("ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"):
        return TooManyRequests("the store is busy; retry shortly", code="THROTTLED")
    return RuntimeError(f"transaction cancelled: {code} {reason.get('Message') or ''}".strip())


def cancellation_error(reasons: list[dict[str, Any]], labels: list[Exception | None]) -> Exception:
    """The error for a cancelled transaction: the first failed condition wins (the domain error its
    operation named), else the first other reason (:func:`reason_error`), else Conflict
    ``CONCURRENT_UPDATE``."""
    pairs = list(zip(reasons, labels, strict=False))
    for reason, label in pairs:
        if reason.get("Code") == "ConditionalCheckFailed":
            return reason_error(reason, label)  # type: ignore[return-value]
    for reason, label in pairs:
        err = reason_error(reason, label)
        if err is not None:
            return err
    return Conflict("the data changed meanwhile; reload and retry", code="CONCURRENT_UPDATE")


def _add_condition(op: dict[str, Any], condition: str | None, values: dict[str, Any] | None,
                   names: dict[str, str] | None) -> None:
    if condition:
        op["ConditionExpression"] = condition
    if values:
        op["ExpressionAttributeValues"] = to_item(values)
    if names:
        op["ExpressionAttributeNames"] = names


def put_versioned(tx: TxBuilder, table: str, item: dict[str, Any], *, expected_version: int | None,
                  entity: str) -> dict[str, Any]:
    """Add a put of aggregate ``item`` with optimistic locking to ``tx`` and return the stored item.

    ``expected_version`` ``None`` means create (fails with 409 ``<ENTITY>_EXISTS`` if present);
    otherwise the stored ``version`` must equal it (409 ``VERSION_CONFLICT``). The new item gets
    ``version = expected + 1`` (1 on create) and ``updated_at``.
    """
    stored = dict(item)
    stored["updated_at"] = utc_now_iso()
    if expected_version is None:
        stored["version"] = 1
        stored.setdefault("created_at", stored["updated_at"])
        tx.put(table, stored, condition="attribute_not_exists(PK)",
               on_fail=Conflict(f"{entity} already exists", code=f"{entity.upper()}_EXISTS"))
    else:
        stored["version"] = expected_version + 1
        tx.put(table, stored, condition="#v = :v", names={"#v": "version"}, values={":v": expected_version},
               on_fail=Conflict(f"{entity} was changed by someone else (expected version {expected_version}); "
                                "reload and retry", code="VERSION_CONFLICT", field="version"))
    return stored


#: Conflict codes that mean "another writer changed what this attempt read": a fresh attempt may succeed.
RETRYABLE_CONFLICTS = ("VERSION_CONFLICT", "CONCURRENT_UPDATE")


def retry_conflicts(attempt: Callable[[], Any], *, attempts: int = 16, base_seconds: float = 0.05,
                    cap_seconds: float = 1.0, codes: tuple[str, ...] = RETRYABLE_CONFLICTS,
                    sleep: Callable[[float], None] | None = None, rand: Callable[[], float] | None = None) -> Any:
    """Run ``attempt()`` (a whole read → decide → conditional write) until it does not raise a Conflict
    whose code is in ``codes``, at most ``attempts`` times; return its result. Between attempts it sleeps
    with exponential backoff and "equal jitter" (half of ``min(cap, base × 2^n)`` fixed, half random), so
    concurrent writers of one item spread out and each gets its turn (AWS Architecture Blog, "Exponential
    Backoff And Jitter", 2015). The last conflict, or any other error, is raised unchanged; an attempt that
    raised wrote nothing (its transaction was cancelled), so retrying never applies anything twice.
    With the defaults the waits add up to at most 11.55 s (0.05 + 0.1 + 0.2 + 0.4 + 0.8 + 10 × 1.0; ~8.7 s on
    average), inside the API's 29 s timeout. Under heavy contention every lost attempt is wasted work: line the
    writers up first (e.g. :func:`chalicelib.loans.data.loans.take_turn`) and keep this for the rare remaining races."""
    import random
    import time

    sleep = sleep or time.sleep
    rand = rand or random.random
    for n in range(attempts):
        try:
            return attempt()
        except Conflict as exc:
            if exc.code not in codes or n == attempts - 1:
                raise
            delay = min(cap_seconds, base_seconds * (2 ** n))
            sleep(delay / 2 + rand() * delay / 2)
    raise AssertionError("unreachable")
