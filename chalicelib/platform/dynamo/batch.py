"""Batch reads and writes (BatchGetItem, BatchWriteItem), with DynamoDB's unprocessed keys retried: the one
module that reads many items by key, as dicts (:func:`batch_get`) or as models (:func:`get_models`)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.platform.dynamo.items import client, from_item, to_item

if TYPE_CHECKING:
    from chalicelib.platform.dynamo.models import ItemModel

M = TypeVar("M", bound="ItemModel")


def batch_get(table: str, keys: Iterable[dict[str, str]], *, consistent: bool = True) -> list[dict[str, Any]]:
    """BatchGetItem of ``keys`` (dicts of PK/SK, duplicates ignored), 100 per request, retrying
    unprocessed keys; missing items are absent from the result (order not kept)."""
    return [from_item(i) for i in _batch_get_wire(table, keys, consistent=consistent)]


def get_models(model: type[M], keys: Iterable[tuple[str, str]], *, consistent: bool = True) -> list[M]:
    """The ``model`` items with these ``(hash key, range key)`` pairs (duplicates ignored), 100 per request;
    missing ones are absent (order not kept). Build the keys with the model's own ``key(...)``."""
    table = model.Meta.table_name
    wire = _batch_get_wire(table, ({"PK": h, "SK": r} for h, r in keys), consistent=consistent)
    return [model.from_wire(i) for i in wire]


def _batch_get_wire(table: str, keys: Iterable[dict[str, str]], *, consistent: bool) -> list[dict[str, Any]]:
    unique = list({(k["PK"], k["SK"]): k for k in keys}.values())
    out: list[dict[str, Any]] = []
    for start in range(0, len(unique), 100):
        pending: dict[str, Any] = {table: {"Keys": [to_item(k) for k in unique[start:start + 100]],
                                           "ConsistentRead": consistent}}
        for _ in range(8):
            resp = client().batch_get_item(RequestItems=pending)
            out.extend(resp.get("Responses", {}).get(table, []))
            pending = resp.get("UnprocessedKeys") or {}
            if not pending:
                break
        else:
            raise RuntimeError("DynamoDB kept keys unprocessed after 8 attempts")
    return out


def put_models(models: Iterable[ItemModel]) -> int:
    """Unconditional batch writes of models, keys filled by each model (seeding, derived read models: never a
    change of an aggregate, which goes through a Transaction with its audit record). Returns the number written."""
    by_table: dict[str, list[dict[str, Any]]] = {}
    for model in models:
        by_table.setdefault(model.Meta.table_name, []).append(model.to_wire())
    written = 0
    for table, wire in by_table.items():
        for start in range(0, len(wire), 25):
            written += _flush(table, [{"PutRequest": {"Item": w}} for w in wire[start:start + 25]])
    return written


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
