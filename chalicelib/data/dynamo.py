"""The one place that talks to DynamoDB: item (de)serialisation, transactions with optimistic
locking and an audit record, and paging (:func:`query_page`: scope filters, pages filled past what the caller
may not see, inner continuations that ``chalicelib.cursors`` seals for clients).

Keys and indexes are defined once, in template.yaml; this module only uses their attribute names
(``PK``/``SK``, ``GSI1PK``/``GSI1SK``, ``GSI2PK``/``GSI2SK``). pynamodb models were not used because
they would be a second definition of every table's keys (see docs/decisions/0002-data-access.md).

Every mutation of an aggregate goes through :func:`write_aggregate`, which puts the new state with a
version condition and appends the audit record in one ``TransactWriteItems`` call: the change and
its audit trail land together or not at all.
"""
from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, Callable, Iterable

from chalicelib.clock import utc_now_iso
from chalicelib.errors import BadRequest, Conflict, TooManyRequests, ValidationFailed


@cache
def client():
    """A process-wide boto3 DynamoDB client (honours ``AWS_ENDPOINT_URL`` for the local stack)."""
    import boto3

    return boto3.client("dynamodb")


@cache
def _codec():
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def _clean(value: Any) -> Any:
    """Drop ``None`` and empty strings (DynamoDB rejects empty key attributes); floats are refused."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float):
        raise TypeError("float reached the data layer; money and measures must be Decimal")
    return value


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """Plain dict (str, int, Decimal, bool, list, dict) → DynamoDB wire item.

    A Decimal that is no DynamoDB number (more than 38 digits, magnitude outside 1E-130 … 9.99E+125: boto3's
    serializer traps it) raises :func:`not_storable` (422 ``VALUE_NOT_STORABLE``) instead of a bare decimal
    exception (a 500): the request models are meant to refuse such values first (``chalicelib.domain.geo``,
    ``chalicelib.domain.inputs``, ``parameter_checks``), so reaching this is logged as an edge-validation gap."""
    from decimal import DecimalException

    ser, _ = _codec()
    try:
        return {k: ser.serialize(v) for k, v in _clean(data).items()}
    except DecimalException as exc:
        raise not_storable(f"number the store cannot hold ({type(exc).__name__})") from None


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB wire item → plain dict; numbers come back as ``Decimal`` (ints as int when integral)."""
    _, de = _codec()
    return {k: _ints(de.deserialize(v)) for k, v in item.items()}


def _ints(value: Any) -> Any:
    if isinstance(value, Decimal) and value == value.to_integral_value() and value.as_tuple().exponent == 0:
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def get(table: str, pk: str, sk: str, *, consistent: bool = True) -> dict[str, Any] | None:
    """Read one item by key, or ``None``."""
    resp = client().get_item(TableName=table, Key=to_item({"PK": pk, "SK": sk}), ConsistentRead=consistent)
    return from_item(resp["Item"]) if "Item" in resp else None


@dataclass
class Page:
    """One page of a query: ``items`` and the inner ``cursor`` of the next page (``None`` at the end). Clients
    get it only sealed (``chalicelib.cursors``, applied by the route layer)."""

    items: list[dict[str, Any]]
    cursor: str | None


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    """LastEvaluatedKey → inner continuation (url-safe base64 of the key as JSON). It names items, so it never
    leaves the server as it is: job checkpoints keep it server-side, and a route answers it sealed for the
    caller and the query (``chalicelib.cursors``)."""
    if not last_key:
        return None
    raw = json.dumps(from_item(last_key), default=str, sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def key_attributes(pk_attr: str) -> tuple[str, str, str, str] | tuple[str, str]:
    """The attributes of a LastEvaluatedKey of a query on partition attribute ``pk_attr``: the table's
    ``PK``/``SK`` for a table query, plus the index's own ``GSInPK``/``GSInSK`` for a GSI query."""
    if pk_attr == "PK":
        return ("PK", "SK")
    if re.fullmatch(r"GSI\d+PK", pk_attr):
        return ("PK", "SK", pk_attr, pk_attr[:-2] + "SK")
    raise ValueError(f"no key schema for partition attribute {pk_attr}")


def decode_cursor(cursor: str | None, *, partition: tuple[str, str],
                  sort_ok: Callable[[str], bool] | None = None) -> dict[str, Any] | None:
    """Opaque cursor → ExclusiveStartKey; raises BadRequest(INVALID_CURSOR, field ``cursor``) when it is
    malformed or belongs to another listing: it must hold exactly the key attributes of the table or index
    queried (:func:`key_attributes`), each a non-empty string within DynamoDB's key size limits, its
    partition attribute must equal ``partition`` and its sort key must satisfy ``sort_ok`` (the query's
    sort-key condition), so DynamoDB never sees a start key it would refuse."""
    if not cursor:
        return None
    attrs = key_attributes(partition[0])
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(key, dict) or set(key) != set(attrs) or key.get(partition[0]) != partition[1]:
            raise ValueError("cursor of another listing")
        if not all(isinstance(v, str) and 0 < len(v.encode()) <= 1024 for v in key.values()):
            raise ValueError("cursor key values must be non-empty strings")
        if sort_ok is not None and not sort_ok(key[attrs[-1]]):
            raise ValueError("cursor outside the query's sort-key range")
        return to_item(key)
    except (ValueError, TypeError, UnicodeError):
        raise BadRequest("cursor is not valid for this listing", code="INVALID_CURSOR", field="cursor") from None


def encode_unit_cursor(unit: int, inner: str | None) -> str:
    """Cursor of a listing that walks several partitions (``units``) in turn: the unit's index and the
    cursor inside it."""
    return base64.urlsafe_b64encode(json.dumps({"u": unit, "c": inner}).encode()).decode().rstrip("=")


def decode_unit_cursor(cursor: str | None, *, units: int) -> tuple[int, str | None]:
    """``(unit index, inner cursor)`` of :func:`encode_unit_cursor` (``(0, None)`` without a cursor); raises
    BadRequest(INVALID_CURSOR, field ``cursor``) unless the index is one of the ``units`` and the inner
    cursor a string or null (the inner cursor is checked by :func:`decode_cursor` when used)."""
    if not cursor:
        return 0, None
    try:
        raw = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        if not isinstance(raw, dict) or set(raw) != {"u", "c"}:
            raise ValueError("not a unit cursor")
        unit, inner = raw["u"], raw["c"]
        if type(unit) is not int or not 0 <= unit < units or not (inner is None or isinstance(inner, str)):
            raise ValueError("unit cursor out of range")
        return unit, inner
    except (ValueError, TypeError, UnicodeError):
        raise BadRequest("cursor is not valid for this listing", code="INVALID_CURSOR", field="cursor") from None


def sort_condition(op: str | None, value: Any) -> Callable[[str], bool] | None:
    """A predicate for a cursor's sort key matching a query's sort-key condition (``op`` one of ``=``,
    ``<``, ``<=``, ``>``, ``>=``, ``begins_with``, ``between`` with ``(lo, hi)``; ``None``: any)."""
    if op is None:
        return None
    checks: dict[str, Callable[[str], bool]] = {
        "=": lambda v: v == value, "<": lambda v: v < value, "<=": lambda v: v <= value,
        ">": lambda v: v > value, ">=": lambda v: v >= value,
        "begins_with": lambda v: v.startswith(value), "between": lambda v: value[0] <= v <= value[1]}
    return checks[op]


@dataclass(frozen=True)
class Filter:
    """A DynamoDB ``FilterExpression`` with its attribute names and values (placeholders must not clash with
    the key condition's ``#pk``/``#sk``/``:pk``/``:sk``/``:lo``/``:hi``)."""

    expression: str
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def __and__(self, other: "Filter | None") -> "Filter":
        if other is None:
            return self
        return Filter(f"({self.expression}) AND ({other.expression})", {**self.names, **other.names},
                      {**self.values, **other.values})


def scope_filter(principal: Any, *, global_records: bool = False) -> Filter:
    """:meth:`chalicelib.auth.Principal.can_see` as a DynamoDB filter, so that a listing reads past what the
    caller may not see on the server side: a farmer's own household (``household_id``), staff the subtree of
    their organisation (``org_path`` prefix). ``global_records``: records with ``org_path`` ``/`` (platform-wide,
    e.g. parameters in the audit trail) are visible too. Repositories still apply ``can_see`` to what comes
    back; this filter only keeps reads bounded."""
    if principal.role == "farmer":
        return Filter("#scope_hh = :scope_hh", {"#scope_hh": "household_id"},
                      {":scope_hh": principal.household_id or "-"})
    expression = "begins_with(#scope_op, :scope_op)"
    values: dict[str, Any] = {":scope_op": principal.org_path}
    if global_records:
        expression = f"({expression} OR #scope_op = :scope_root)"
        values[":scope_root"] = "/"
    return Filter(expression, {"#scope_op": "org_path"}, values)


#: Most reads one page of a filtered listing may take (each up to 1 MB after the first): a listing whose
#: partition holds more than that of items outside the caller's scope answers a (sealed) continuation
#: instead of its end. Partitions read by listings are bounded far below (a village, a household, an entity's
#: audit trail, one account manager's queue).
MAX_READS_PER_PAGE = 10


def query(table: str, *, pk_value: str, index: str | None = None, sk_prefix: str | None = None,
          sk_between: tuple[str, str] | None = None, limit: int = 50, cursor: str | None = None,
          forward: bool = True, consistent: bool = False, where: Filter | None = None,
          visible: Callable[[dict[str, Any]], bool] | None = None) -> Page:
    """Query one partition (of the table or of GSI ``index``) with an optional sort-key prefix or range;
    see :func:`query_page` for ``where`` and ``visible``."""
    op, value = ("begins_with", sk_prefix) if sk_prefix else ("between", sk_between) if sk_between else (None, None)
    return query_page(table, pk_value=pk_value, index=index, sk_op=op, sk_value=value, limit=limit, cursor=cursor,
                      forward=forward, consistent=consistent, where=where, visible=visible)


def query_page(table: str, *, pk_value: str, index: str | None = None, sk_op: str | None = None,
               sk_value: Any = None, limit: int | None = 50, cursor: str | None = None, forward: bool = True,
               consistent: bool = False, where: Filter | None = None, fields: tuple[str, ...] | None = None,
               visible: Callable[[dict[str, Any]], bool] | None = None,
               max_reads: int = MAX_READS_PER_PAGE) -> Page:
    """One page of a partition (of the table or of GSI ``index``): the only query builder of the product.

    ``sk_op``/``sk_value``: a sort-key condition (``=``, ``<``, ``<=``, ``>``, ``>=``, ``begins_with``,
    ``between`` with ``(lo, hi)``). ``fields``: a projection (the key attributes are always read too).
    ``where`` (a DynamoDB filter, e.g. :func:`scope_filter`) and ``visible`` (a predicate applied to what comes
    back, e.g. ``can_see``) drop items: the page is then filled by further reads until it holds ``limit``
    items or the partition ends (at most ``max_reads`` reads), so a partition whose items the caller may not
    see answers exactly like an empty one (no items, no cursor). One item more than the page is looked for, so
    a cursor is answered only when a next item the caller sees exists, and it is the key of the page's last
    item (an item the caller sees); it is where the reads stopped only when they ran out.

    ``limit`` ``None``: one read of as many items as DynamoDB returns (1 MB), for the jobs' sequential reads.
    ``cursor`` is an inner continuation (:func:`encode_cursor`; clients only ever see it sealed by
    ``chalicelib.cursors``); one that is not of this partition and sort-key condition is a 400
    ``INVALID_CURSOR``. Returns :class:`Page` (``items``, ``cursor`` ``None`` at the end)."""
    pk_attr, sk_attr = ("PK", "SK") if index is None else (f"{index}PK", f"{index}SK")
    names = {"#pk": pk_attr}
    values: dict[str, Any] = {":pk": pk_value}
    expr = "#pk = :pk"
    if sk_op:
        names["#sk"] = sk_attr
        if sk_op == "begins_with":
            expr += " AND begins_with(#sk, :sk)"
            values[":sk"] = sk_value
        elif sk_op == "between":
            expr += " AND #sk BETWEEN :lo AND :hi"
            values[":lo"], values[":hi"] = sk_value
        elif sk_op in ("=", "<", "<=", ">", ">="):
            expr += f" AND #sk {sk_op} :sk"
            values[":sk"] = sk_value
        else:
            raise ValueError(f"unknown sort-key operator {sk_op}")
    kwargs: dict[str, Any] = dict(TableName=table, KeyConditionExpression=expr, ScanIndexForward=forward)
    if where is not None:
        kwargs["FilterExpression"] = where.expression
        names.update(where.names)
        values.update(where.values)
    keys = key_attributes(pk_attr)
    if fields:
        wanted = {f"#f{n}": f for n, f in enumerate(dict.fromkeys((*fields, *keys)))}
        names.update(wanted)
        kwargs["ProjectionExpression"] = ", ".join(wanted)
    kwargs.update(ExpressionAttributeNames=names, ExpressionAttributeValues=to_item(values))
    if index:
        kwargs["IndexName"] = index
    elif consistent:
        kwargs["ConsistentRead"] = True
    start = decode_cursor(cursor, partition=(pk_attr, pk_value), sort_ok=sort_condition(sk_op, sk_value))
    if limit is None:
        if start:
            kwargs["ExclusiveStartKey"] = start
        resp = client().query(**kwargs)
        items = [from_item(i) for i in resp.get("Items", [])]
        return Page([i for i in items if visible is None or visible(i)], encode_cursor(resp.get("LastEvaluatedKey")))
    # one item more than the page is looked for: a cursor is answered only when a next item the caller sees exists
    wanted = limit + 1
    items: list[dict[str, Any]] = []
    reads = 0
    while True:
        if start:
            kwargs["ExclusiveStartKey"] = start
        # the first read asks for a page; a read after items were dropped takes what DynamoDB gives (1 MB)
        if reads == 0 or (where is None and visible is None):
            kwargs["Limit"] = wanted - len(items)
        else:
            kwargs.pop("Limit", None)
        resp = client().query(**kwargs)
        reads += 1
        got = [from_item(i) for i in resp.get("Items", [])]
        items.extend(i for i in got if visible is None or visible(i))
        start = resp.get("LastEvaluatedKey")
        if len(items) > limit:
            items = items[:limit]
            return Page(items, encode_cursor(to_item({k: items[-1][k] for k in keys})))
        if start is None:
            return Page(items, None)
        if reads >= max_reads:
            return Page(items, encode_cursor(start))


def query_all(table: str, **kwargs: Any) -> list[dict[str, Any]]:
    """All items of a partition (follows cursors). For bounded partitions only (a village, a loan)."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = query(table, limit=500, cursor=cursor, **kwargs)
        items.extend(page.items)
        if not page.cursor:
            return items
        cursor = page.cursor


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
            on_fail: Exception | None = None) -> "TxBuilder":
        op: dict[str, Any] = {"TableName": table, "Item": to_item(item)}
        _add_condition(op, condition, values, names)
        self.ops.append({"Put": op})
        self.labels.append(on_fail)
        return self

    def update(self, table: str, key: dict[str, str], update: str, *, values: dict[str, Any],
               names: dict[str, str] | None = None, condition: str | None = None,
               on_fail: Exception | None = None) -> "TxBuilder":
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
               on_fail: Exception | None = None) -> "TxBuilder":
        op: dict[str, Any] = {"TableName": table, "Key": to_item(key)}
        _add_condition(op, condition, values, names)
        self.ops.append({"Delete": op})
        self.labels.append(on_fail)
        return self

    def check(self, table: str, key: dict[str, str], condition: str, *, values: dict[str, Any] | None = None,
              names: dict[str, str] | None = None, on_fail: Exception | None = None) -> "TxBuilder":
        op: dict[str, Any] = {"TableName": table, "Key": to_item(key)}
        _add_condition(op, condition, values, names)
        self.ops.append({"ConditionCheck": op})
        self.labels.append(on_fail)
        return self

    def audit(self, audit_table: str, audit: Audit) -> "TxBuilder":
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


def not_storable(detail: str) -> ValidationFailed:
    """422 ``VALUE_NOT_STORABLE``: the request holds a value DynamoDB refuses. The edge (request models)
    should have refused it with a field: this is logged as an error so the gap gets closed."""
    from chalicelib.observability import logger

    logger().error("a value reached DynamoDB that the request models should have refused",
                   extra={"detail": detail[:500]})
    return ValidationFailed("a value of the request cannot be stored; check numbers and text sizes",
                            code="VALUE_NOT_STORABLE")


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
    pairs = list(zip(reasons, labels))
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


def batch_get(table: str, keys: Iterable[dict[str, str]], *, consistent: bool = True) -> list[dict[str, Any]]:
    """BatchGetItem of ``keys`` (dicts of PK/SK, duplicates ignored), 100 per request, retrying
    unprocessed keys; missing items are absent from the result (order not kept)."""
    unique = list({(k["PK"], k["SK"]): k for k in keys}.values())
    out: list[dict[str, Any]] = []
    for start in range(0, len(unique), 100):
        pending: dict[str, Any] = {table: {"Keys": [to_item(k) for k in unique[start:start + 100]],
                                           "ConsistentRead": consistent}}
        for _ in range(8):
            resp = client().batch_get_item(RequestItems=pending)
            out.extend(from_item(i) for i in resp.get("Responses", {}).get(table, []))
            pending = resp.get("UnprocessedKeys") or {}
            if not pending:
                break
        else:
            raise RuntimeError("DynamoDB kept keys unprocessed after 8 attempts")
    return out


def batch_put(table: str, items: Iterable[dict[str, Any]]) -> int:
    """Unconditional batch writes (seeding, derived read models). Returns the number written."""
    n = 0
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append({"PutRequest": {"Item": to_item(item)}})
        if len(batch) == 25:
            n += _flush(table, batch)
            batch = []
    if batch:
        n += _flush(table, batch)
    return n


def _flush(table: str, batch: list[dict[str, Any]]) -> int:
    pending = {table: batch}
    for _ in range(8):
        resp = client().batch_write_item(RequestItems=pending)
        pending = resp.get("UnprocessedItems") or {}
        if not pending:
            return len(batch)
    raise RuntimeError("DynamoDB kept items unprocessed after 8 attempts")


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
    writers up first (e.g. :func:`chalicelib.data.loans.take_turn`) and keep this for the rare remaining races."""
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
