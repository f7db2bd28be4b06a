"""The one DynamoDB transaction of the product: :class:`Transaction` (one ``TransactWriteItems`` call).

Every change of an aggregate is written in one transaction together with its audit record, so the change and
its audit trail land together or not at all. A transaction takes

* **model operations** (pynamodb models, ``chalicelib.platform.dynamo.models``): :meth:`Transaction.save`,
  :meth:`~Transaction.update_model`, :meth:`~Transaction.delete_model`, :meth:`~Transaction.condition_check`,
  and :meth:`~Transaction.record` for the audit record (``chalicelib.platform.audit``);
* **dict operations** (the dict-based items of the contexts not converted yet): :meth:`~Transaction.put`,
  :meth:`~Transaction.update`, :meth:`~Transaction.delete`, :meth:`~Transaction.check`, :meth:`~Transaction.audit`.
  Contexts add operations to each other's transactions through their ``public`` modules (loans reserving on a
  rating line in the drawdown's transaction), so both kinds must go into ONE call while contexts convert one by
  one. The dict path is removed in Phase C (issue 12), when every item has its model.

Each operation may name the domain error to raise when its condition fails (``on_fail``). Operations are sent
in the order they were added and DynamoDB answers one cancellation reason per operation in that order, so reason
*i* is operation *i*. (pynamodb's own ``TransactWrite`` is not used: it sends condition checks, deletes, puts
and updates in that order, whatever the order they were added, and makes a client of its own. Each model
operation is built by pynamodb's own request builder, ``get_save_kwargs_from_instance`` and friends, so
conditions, version attributes and serialisation are pynamodb's.)

Cancellation reasons map to errors (:func:`reason_error`): a failed condition → the operation's ``on_fail``
(default 409 ``CONCURRENT_UPDATE``); a conflicting transaction → 409 ``CONCURRENT_UPDATE``; a value DynamoDB
refuses → 422 ``VALUE_NOT_STORABLE``; throttling → 429 ``THROTTLED``; anything else → RuntimeError (500).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.dynamo.items import not_storable, to_item
from chalicelib.platform.errors import Conflict, TooManyRequests

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action

    from chalicelib.platform.dynamo.models import ItemModel


#: Most operations DynamoDB accepts in one TransactWriteItems call.
MAX_OPERATIONS = 100


@dataclass
class Audit:
    """One audit record to write with a change: ``entity_type``/``entity_id`` (e.g. ``household`` and its id),
    ``action`` (e.g. ``household.submitted``), ``actor_id`` (a user id, or ``system``), the entity's state
    ``before`` (``None`` on create) and ``after`` (``None`` on delete) — key attributes are left out — its
    ``org_path`` (``/`` for platform-wide records) and an optional ``reason``. Written by
    :meth:`Transaction.record` as a ``chalicelib.platform.audit.AuditRecord``."""

    entity_type: str
    entity_id: str
    action: str
    actor_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    org_path: str = "/"
    reason: str | None = None


@dataclass
class Transaction:
    """Collects the operations of one ``TransactWriteItems`` call (at most :data:`MAX_OPERATIONS`), each with the
    domain error its failed condition stands for; :meth:`commit` sends them."""

    ops: list[dict[str, Any]] = field(default_factory=list)
    labels: list[Exception | None] = field(default_factory=list)
    _versioned: list[ItemModel] = field(default_factory=list, repr=False)

    # ------------------------------------------------------------------ model operations
    def save(self, model: ItemModel, *, condition: Condition | None = None,
             on_fail: Exception | None = None) -> Transaction:
        """Put ``model`` (keys filled by the model). A model with a version attribute is put on the condition that
        the stored version is the one it was read with (or that none exists, for a new model), and its version
        is incremented when the transaction commits (pynamodb's optimistic locking)."""
        model.fill_keys()
        self._add("Put", model.get_save_kwargs_from_instance(condition=condition), on_fail)
        if model._version_attribute_name:
            self._versioned.append(model)
        return self

    def update_model(self, model: ItemModel, actions: list[Action], *, condition: Condition | None = None,
                     on_fail: Exception | None = None) -> Transaction:
        """Update attributes of the stored item of ``model`` with pynamodb ``actions`` (``Model.attr.set(v)``,
        ``.add(n)``, ...); a versioned model is conditioned on its version and the version incremented."""
        model.fill_keys()
        self._add("Update", model.get_update_kwargs_from_instance(actions=list(actions), condition=condition),
                  on_fail)
        if model._version_attribute_name:
            self._versioned.append(model)
        return self

    def delete_model(self, model: ItemModel, *, condition: Condition | None = None,
                     on_fail: Exception | None = None) -> Transaction:
        """Delete the stored item of ``model`` (conditioned on its version when it has one)."""
        model.fill_keys()
        self._add("Delete", model.get_delete_kwargs_from_instance(condition=condition), on_fail)
        return self

    def condition_check(self, model_cls: type[ItemModel], hash_key: str, range_key: str, condition: Condition, *,
                        on_fail: Exception | None = None) -> Transaction:
        """Require ``condition`` of the item with this key (written or not, nothing changes it)."""
        self._add("ConditionCheck", model_cls.get_operation_kwargs_from_class(hash_key, range_key=range_key,
                                                                              condition=condition), on_fail)
        return self

    def record(self, audit: Audit) -> Transaction:
        """Append the audit record of this change (:class:`chalicelib.platform.audit.AuditRecord`): written with
        the change or not at all."""
        from chalicelib.platform.audit import AuditRecord

        record = AuditRecord.of(audit)
        return self.save(record, condition=AuditRecord.PK.does_not_exist())

    def extend(self, other: Transaction) -> Transaction:
        """Add every operation of ``other`` (built separately, e.g. one per household) to this transaction."""
        self.ops += other.ops
        self.labels += other.labels
        self._versioned += other._versioned
        return self

    # ------------------------------------------------------------------ dict operations (removed in Phase C)
    def put(self, table: str, item: dict[str, Any], *, condition: str | None = None,
            values: dict[str, Any] | None = None, names: dict[str, str] | None = None,
            on_fail: Exception | None = None) -> Transaction:
        """Put a dict item (keys included) into ``table``."""
        op: dict[str, Any] = {"TableName": table, "Item": to_item(item)}
        _add_condition(op, condition, values, names)
        self._add("Put", op, on_fail)
        return self

    def update(self, table: str, key: dict[str, str], update: str, *, values: dict[str, Any],
               names: dict[str, str] | None = None, condition: str | None = None,
               on_fail: Exception | None = None) -> Transaction:
        """Update the item with ``key`` with the expression ``update``."""
        op: dict[str, Any] = {"TableName": table, "Key": to_item(key), "UpdateExpression": update,
                              "ExpressionAttributeValues": to_item(values)}
        if names:
            op["ExpressionAttributeNames"] = names
        if condition:
            op["ConditionExpression"] = condition
        self._add("Update", op, on_fail)
        return self

    def delete(self, table: str, key: dict[str, str], *, condition: str | None = None,
               values: dict[str, Any] | None = None, names: dict[str, str] | None = None,
               on_fail: Exception | None = None) -> Transaction:
        """Delete the item with ``key``."""
        op: dict[str, Any] = {"TableName": table, "Key": to_item(key)}
        _add_condition(op, condition, values, names)
        self._add("Delete", op, on_fail)
        return self

    def check(self, table: str, key: dict[str, str], condition: str, *, values: dict[str, Any] | None = None,
              names: dict[str, str] | None = None, on_fail: Exception | None = None) -> Transaction:
        """Require ``condition`` of the item with ``key``."""
        op: dict[str, Any] = {"TableName": table, "Key": to_item(key)}
        _add_condition(op, condition, values, names)
        self._add("ConditionCheck", op, on_fail)
        return self

    def audit(self, audit_table: str, audit: Audit) -> Transaction:
        """The audit record (as :meth:`record`; ``audit_table`` is the settings' audit table, kept for the dict
        callers' signature)."""
        return self.record(audit)

    # ------------------------------------------------------------------ commit
    def _add(self, kind: str, op: dict[str, Any], on_fail: Exception | None) -> None:
        self.ops.append({kind: op})
        self.labels.append(on_fail)

    def commit(self, *, token: str | None = None) -> None:
        """Send the transaction (nothing when empty). A cancelled one raises :func:`cancellation_error`.
        ``token`` (``ClientRequestToken``, first 36 characters) makes the call idempotent for 10 minutes."""
        if not self.ops:
            return
        if len(self.ops) > MAX_OPERATIONS:
            raise RuntimeError(f"a transaction takes at most {MAX_OPERATIONS} operations, not {len(self.ops)}")
        from botocore.exceptions import ClientError

        from chalicelib.platform import aws

        kwargs: dict[str, Any] = {"TransactItems": self.ops}
        if token:
            kwargs["ClientRequestToken"] = token[:36]
        try:
            aws.dynamodb().transact_write_items(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            raise cancellation_error(exc.response.get("CancellationReasons") or [], self.labels) from None
        for model in self._versioned:
            model.update_local_version_attribute()


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


def put_versioned(tx: Transaction, table: str, item: dict[str, Any], *, expected_version: int | None,
                  entity: str) -> dict[str, Any]:
    """Add a put of dict aggregate ``item`` with optimistic locking to ``tx`` and return the stored item.

    ``expected_version`` ``None`` means create (fails with 409 ``<ENTITY>_EXISTS`` if present);
    otherwise the stored ``version`` must equal it (409 ``VERSION_CONFLICT``). The new item gets
    ``version = expected + 1`` (1 on create) and ``updated_at``. (A model with a ``VersionAttribute`` gets the
    same from :meth:`Transaction.save` with :func:`version_errors`.)
    """
    stored = dict(item)
    stored["updated_at"] = utc_now_iso()
    if expected_version is None:
        stored["version"] = 1
        stored.setdefault("created_at", stored["updated_at"])
        tx.put(table, stored, condition="attribute_not_exists(PK)", on_fail=exists_error(entity))
    else:
        stored["version"] = expected_version + 1
        tx.put(table, stored, condition="#v = :v", names={"#v": "version"}, values={":v": expected_version},
               on_fail=version_conflict(entity, expected_version))
    return stored


def exists_error(entity: str) -> Conflict:
    """409 ``<ENTITY>_EXISTS``: a create found the item there."""
    return Conflict(f"{entity} already exists", code=f"{entity.upper()}_EXISTS")


def version_conflict(entity: str, expected_version: int) -> Conflict:
    """409 ``VERSION_CONFLICT`` (field ``version``): the item changed since it was read."""
    return Conflict(f"{entity} was changed by someone else (expected version {expected_version}); reload and retry",
                    code="VERSION_CONFLICT", field="version")


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


#: The dict-operation callers' name for :class:`Transaction` (Phase C renames them and removes this name).
TxBuilder = Transaction
