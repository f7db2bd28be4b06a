"""Queries: the one page builder of the product (:func:`query_page`), scope filters, and the inner continuations
that ``chalicelib.platform.dynamo.cursors`` seals for clients.

A listing reads past what the caller may not see on the server side (a DynamoDB filter from the caller's scope,
and a predicate on what comes back), filling its page with further reads, so a partition whose items the caller
may not see answers exactly like an empty one. See docs/decisions/0051-opaque-cursors-and-existence-oracles.md.
"""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.platform.dynamo.items import client, from_item, to_item
from chalicelib.platform.errors import BadRequest

if TYPE_CHECKING:
    from chalicelib.platform.dynamo.models import ItemModel

M = TypeVar("M", bound="ItemModel")


@dataclass
class Page:
    """One page of a query: ``items`` and the inner ``cursor`` of the next page (``None`` at the end). Clients
    get it only sealed (``chalicelib.platform.dynamo.cursors``, applied by the route layer)."""

    items: list[Any]  # dicts, or models (model_query)
    cursor: str | None


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    """LastEvaluatedKey → inner continuation (url-safe base64 of the key as JSON). It names items, so it never
    leaves the server as it is: job checkpoints keep it server-side, and a route answers it sealed for the
    caller and the query (``chalicelib.platform.dynamo.cursors``)."""
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

    def __and__(self, other: Filter | None) -> Filter:
        if other is None:
            return self
        return Filter(f"({self.expression}) AND ({other.expression})", {**self.names, **other.names},
                      {**self.values, **other.values})


def scope_filter(principal: Any, *, global_records: bool = False) -> Filter:
    """:meth:`chalicelib.platform.access.Principal.can_see` as a DynamoDB filter, so that a listing reads past what the
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


def _request(table: str, *, pk_value: str, index: str | None, sk_op: str | None, sk_value: Any, forward: bool,
             consistent: bool, where: Filter | None, fields: tuple[str, ...] | None
             ) -> tuple[dict[str, Any], str, tuple[str, ...]]:
    """The Query request of :func:`query_page` (without its start key and limit), the partition attribute and the
    key attributes of an item of the table or index queried."""
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
    return kwargs, pk_attr, keys


def query_page(table: str, *, pk_value: str, index: str | None = None, sk_op: str | None = None,
               sk_value: Any = None, limit: int | None = 50, cursor: str | None = None, forward: bool = True,
               consistent: bool = False, where: Filter | None = None, fields: tuple[str, ...] | None = None,
               visible: Callable[[Any], bool] | None = None,
               max_reads: int = MAX_READS_PER_PAGE, model: type[ItemModel] | None = None) -> Page:
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
    ``chalicelib.platform.dynamo.cursors``); one that is not of this partition and sort-key condition is a 400
    ``INVALID_CURSOR``. Returns :class:`Page` (``items``, ``cursor`` ``None`` at the end). ``items`` are plain
    dicts, or instances of ``model`` (an item model of ``chalicelib.platform.dynamo.models``) when given
    (``visible`` then sees the models): :func:`model_query` is the models' entry point."""
    convert: Callable[[dict[str, Any]], Any] = model.from_wire if model is not None else from_item
    kwargs, pk_attr, keys = _request(table, pk_value=pk_value, index=index, sk_op=sk_op, sk_value=sk_value,
                                     forward=forward, consistent=consistent, where=where, fields=fields)
    start = decode_cursor(cursor, partition=(pk_attr, pk_value), sort_ok=sort_condition(sk_op, sk_value))
    if limit is None:
        if start:
            kwargs["ExclusiveStartKey"] = start
        resp = client().query(**kwargs)
        read = [convert(i) for i in resp.get("Items", [])]
        return Page([i for i in read if visible is None or visible(i)], encode_cursor(resp.get("LastEvaluatedKey")))
    # one item more than the page is looked for: a cursor is answered only when a next item the caller sees exists
    target = limit + 1
    items: list[Any] = []
    raw_keys: list[dict[str, Any]] = []  # the wire key of each item kept (a model's or a dict's alike)
    reads = 0
    while True:
        if start:
            kwargs["ExclusiveStartKey"] = start
        # the first read asks for a page; a read after items were dropped takes what DynamoDB gives (1 MB)
        if reads == 0 or (where is None and visible is None):
            kwargs["Limit"] = target - len(items)
        else:
            kwargs.pop("Limit", None)
        resp = client().query(**kwargs)
        reads += 1
        for raw in resp.get("Items", []):
            item = convert(raw)
            if visible is None or visible(item):
                items.append(item)
                raw_keys.append({k: raw[k] for k in keys})
        start = resp.get("LastEvaluatedKey")
        if len(items) > limit:
            return Page(items[:limit], encode_cursor(raw_keys[limit - 1]))
        if start is None:
            return Page(items, None)
        if reads >= max_reads:
            return Page(items, encode_cursor(start))


def model_query(model: type[M], *, pk_value: str, index: str | None = None, sk_op: str | None = None,
                sk_value: Any = None, limit: int | None = 50, cursor: str | None = None, forward: bool = True,
                consistent: bool = False, where: Filter | None = None,
                visible: Callable[[M], bool] | None = None) -> Page:
    """One page of ``model`` items of a partition of its table (or of its GSI ``index``): :func:`query_page` with
    the model's table, ``items`` being models (``visible`` sees models)."""
    return query_page(model.Meta.table_name, pk_value=pk_value, index=index, sk_op=sk_op, sk_value=sk_value,
                      limit=limit, cursor=cursor, forward=forward, consistent=consistent, where=where,
                      visible=visible, model=model)


def model_query_all(model: type[M], **kwargs: Any) -> list[M]:
    """Every ``model`` item of a partition (follows cursors; ``kwargs`` as :func:`model_query`). For bounded
    partitions only (an organisation's children, a run's parts)."""
    out: list[M] = []
    cursor = None
    while True:
        page = model_query(model, limit=500, cursor=cursor, **kwargs)
        out.extend(page.items)
        if not page.cursor:
            return out
        cursor = page.cursor


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
