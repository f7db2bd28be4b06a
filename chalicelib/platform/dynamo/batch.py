"""Batch reads and writes (BatchGetItem, BatchWriteItem), with DynamoDB's unprocessed keys retried."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.platform.dynamo.items import client, from_item, to_item


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
