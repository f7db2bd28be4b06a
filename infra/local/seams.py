"""The places where the local stack reaches into moto's internals. Kept here, small, and guarded
by ``tests/infra/test_seams.py``, which fails loudly if a moto upgrade renames what they patch.

1. ``LambdaFunction._invoke_lambda(self, event) -> (payload_json, errored, logs)``: moto runs Lambda
   code only in Docker; we replace it to import the function's real handler (``Handler`` in the
   template) and call it in this process. One seam serves direct invokes, Step Functions tasks and
   queue triggers. An exception becomes a Lambda error payload ``{"errorType", "errorMessage"}``,
   which is what Step Functions' Retry/Catch match on.
2. ``DynamoHandler.call_action``: moto checks a condition and writes without a lock, so concurrent
   conditional writes are not atomic. Real DynamoDB is atomic per item and per transaction; we
   serialise every DynamoDB call with one lock so the local stack shows the same behaviour.
3. ``DynamoDBBackend.transact_write_items`` deep-copies a whole table (for its rollback) once per
   *operation* of the transaction: a 100-operation transaction on a table of a few thousand items
   took seconds, and every transaction got slower as the table grew. We snapshot each table once,
   copying deeply only the items the transaction updates in place (same rollback semantics; checked
   by ``tests/infra/test_transaction_rollback_seam.py``).
4. ``Table.query`` walks *every item of the table* for each query, base table and index alike, so
   every query cost O(table): the 100,000-loan post-loan benchmark would have taken hours. We hand it
   only the candidates of the queried partition: the base table's own partition dict, or a per-index
   map hash value → items kept current by wrapping ``Table.put_item``, ``Table.delete_item`` and
   ``DynamoDBBackend.update_item`` (built lazily per index, dropped with a transaction's rollback
   snapshot). moto's own sorting, key conditions, filters and paging run unchanged on the candidates;
   results are checked against scans by ``tests/infra/test_query_seam.py``.
"""
from __future__ import annotations

import importlib
import json
import threading
import time
import traceback
import uuid
from types import SimpleNamespace
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.dynamodb.responses import DynamoHandler

_DYNAMO_LOCK = threading.RLock()
_installed = False


def _context(fn: LambdaFunction) -> SimpleNamespace:
    deadline = time.monotonic() + float(getattr(fn, "timeout", 30) or 30)
    return SimpleNamespace(function_name=fn.function_name, function_version="$LATEST",
                           invoked_function_arn=fn.function_arn, memory_limit_in_mb=fn.memory_size,
                           aws_request_id=str(uuid.uuid4()), log_group_name=f"/aws/lambda/{fn.function_name}",
                           log_stream_name="local",
                           get_remaining_time_in_millis=lambda: max(0, int((deadline - time.monotonic()) * 1000)))


def resolve_handler(handler: str) -> Any:
    """``functions/tasks/rating.handler`` → the callable ``functions.tasks.rating.handler``."""
    module_path, _, attr = handler.rpartition(".")
    module = importlib.import_module(module_path.replace("/", "."))
    return getattr(module, attr)


def _invoke_in_process(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    try:
        payload = json.loads(event) if isinstance(event, (str, bytes, bytearray)) and event else (event or {})
        result = resolve_handler(self.handler)(payload, _context(self))
        return json.dumps(result, default=str), False, ""
    except Exception as exc:  # reported as a Lambda function error, like the real service
        body = {"errorType": type(exc).__name__, "errorMessage": str(exc),
                "stackTrace": traceback.format_exception(exc)[-3:]}
        return json.dumps(body), True, traceback.format_exc()


_original_call_action = DynamoHandler.call_action


def _serialised_call_action(self: DynamoHandler) -> Any:
    with _DYNAMO_LOCK:
        return _original_call_action(self)


def install() -> None:
    """Install the seams (idempotent)."""
    global _installed
    if _installed:
        return
    if not hasattr(LambdaFunction, "_invoke_lambda"):
        raise RuntimeError("moto renamed LambdaFunction._invoke_lambda: update infra/local/seams.py")
    LambdaFunction._invoke_lambda = _invoke_in_process  # type: ignore[method-assign]
    DynamoHandler.call_action = _serialised_call_action  # type: ignore[method-assign]
    _install_transact_copy_once()
    _install_keyed_queries()
    _installed = True


class _TableSnapshots:
    """Stand-in for the ``copy`` module inside one ``transact_write_items`` call.

    moto snapshots each table for its rollback with ``copy.deepcopy(table)``, once per operation. Here a
    table is snapshotted once, cheaply: a shallow copy of the table with its own item dicts, sharing the
    Item objects except those the transaction *updates* in place, which are deep-copied. Puts and
    deletes replace or remove entries of the dicts, which the snapshot does not share.
    """

    def __init__(self, transact_items: Any) -> None:
        self._tables: dict[int, tuple[Any, Any]] = {}
        self._updated: dict[str, list[dict[str, Any]]] = {}
        for op in transact_items or ():
            kind, body = next(iter(op.items()))
            if kind == "Update":
                self._updated.setdefault(body.get("TableName"), []).append(body.get("Key") or {})

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        import copy

        from moto.dynamodb.models.table import Table

        if not isinstance(obj, Table):
            return copy.deepcopy(obj, memo)
        held = self._tables.get(id(obj))
        if held is None or held[0] is not obj:
            held = (obj, self._snapshot(obj))
            self._tables[id(obj)] = held
        return held[1]

    def _snapshot(self, table: Any) -> Any:
        import copy
        from collections import defaultdict

        from moto.dynamodb.models.dynamo_type import DynamoType

        snap = copy.copy(table)
        snap.__dict__[_INDEX_ATTR] = {}  # seam 4: the snapshot's item set differs from the live index
        ranged = bool(table.range_key_attr)
        snap.items = defaultdict(dict, {h: (dict(r) if ranged else r) for h, r in table.items.items()})
        for key in self._updated.get(table.name, []):
            if table.hash_key_attr not in key:
                continue
            hv = DynamoType(key[table.hash_key_attr])
            rv = DynamoType(key[table.range_key_attr]) if ranged and table.range_key_attr in key else None
            item = table.get_item(hv, rv)
            if item is None:
                continue
            if ranged:
                snap.items[hv][rv] = copy.deepcopy(item)
            else:
                snap.items[hv] = copy.deepcopy(item)
        return snap


def _install_transact_copy_once() -> None:
    import moto.dynamodb.models as ddb_models

    backend = ddb_models.DynamoDBBackend
    if not hasattr(backend, "transact_write_items") or not hasattr(ddb_models, "copy"):
        raise RuntimeError("moto changed DynamoDBBackend.transact_write_items: update infra/local/seams.py")
    original = backend.transact_write_items

    from moto.dynamodb.models.table import Table

    def transact_write_items(self: Any, transact_items: Any) -> Any:
        with _DYNAMO_LOCK:  # the module attribute is swapped for the duration of this call only
            saved = ddb_models.copy
            ddb_models.copy = _TableSnapshots(transact_items)  # type: ignore[assignment]
            tracked = len(Table.instances_tracked)
            try:
                return original(self, transact_items)
            finally:
                ddb_models.copy = saved
                # moto's BaseModel.__new__ records every instance in instances_tracked, the rollback
                # snapshots too: without this each transaction keeps a copy of the table's index alive
                # (~8 MB per transaction at 30,000 items). A transaction never creates a table.
                del Table.instances_tracked[tracked:]

    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


# ------------------------------------------------------------------------------ seam 4: keyed queries
_INDEX_ATTR = "_local_stack_index_partitions"


def _index_partitions(table: Any, index_name: str) -> dict[str, Any] | None:
    """``{"attr", "by_hash": {hash value: {primary key: Item}}, "where": {primary key: hash value}}`` of
    one index of ``table`` (built on first use), or ``None`` for an index this seam does not handle."""
    indexes = table.__dict__.setdefault(_INDEX_ATTR, {})
    if index_name in indexes:
        return indexes[index_name]
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    hash_keys = [k["AttributeName"] for k in (index.schema if index else []) if k["KeyType"] == "HASH"]
    if len(hash_keys) != 1:
        indexes[index_name] = None
        return None
    part: dict[str, Any] = {"attr": hash_keys[0], "by_hash": {}, "where": {}}
    for item in table.all_items():
        _place(part, item)
    indexes[index_name] = part
    return part


def _place(part: dict[str, Any], item: Any) -> None:
    pk = (item.hash_key, item.range_key)
    old = part["where"].pop(pk, None)
    if old is not None:
        bucket = part["by_hash"].get(old)
        if bucket is not None:
            bucket.pop(pk, None)
    value = item.attrs.get(part["attr"])
    if value:
        part["by_hash"].setdefault(value, {})[pk] = item
        part["where"][pk] = value


def _unplace(table: Any, item: Any) -> None:
    pk = (item.hash_key, item.range_key)
    for part in (table.__dict__.get(_INDEX_ATTR) or {}).values():
        if part is not None:
            old = part["where"].pop(pk, None)
            if old is not None:
                part["by_hash"].get(old, {}).pop(pk, None)


def _reindex(table: Any, item: Any) -> None:
    for part in (table.__dict__.get(_INDEX_ATTR) or {}).values():
        if part is not None:
            _place(part, item)


def _candidates(table: Any, hash_key: Any, index_name: str | None, hash_conditions: Any) -> list[Any] | None:
    if hash_conditions and len(hash_conditions) != 1:
        return None
    if index_name:
        part = _index_partitions(table, index_name)
        if part is None:
            return None
        value = hash_key
        if hash_conditions:
            name, value = hash_conditions[0]
            if name != part["attr"]:
                return None
        return list(part["by_hash"].get(value, {}).values()) if value is not None else None
    value = hash_conditions[0][1] if hash_conditions else hash_key
    if value is None:
        return None
    found = table.items.get(value)
    if found is None:
        return []
    return list(found.values()) if table.range_key_attr else [found]


def _install_keyed_queries() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    for owner, name in ((Table, "query"), (Table, "put_item"), (Table, "delete_item"),
                        (DynamoDBBackend, "update_item")):
        if not callable(getattr(owner, name, None)):
            raise RuntimeError(f"moto renamed {owner.__name__}.{name}: update infra/local/seams.py")
    original_query, original_put = Table.query, Table.put_item
    original_delete, original_update = Table.delete_item, DynamoDBBackend.update_item

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        with _DYNAMO_LOCK:
            subset = _candidates(self, hash_key, index_name, kwargs.get("hash_key_conditions"))
            if subset is None:
                return original_query(self, hash_key, *args, **kwargs)
            self.all_items = lambda: iter(subset)  # shadows the method for this call only
            try:
                return original_query(self, hash_key, *args, **kwargs)
            finally:
                del self.all_items

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_put(self, *args, **kwargs)
        _reindex(self, item)
        return item

    def delete_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_delete(self, *args, **kwargs)
        if item is not None:
            _unplace(self, item)
        return item

    def update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        item = original_update(self, table_name, *args, **kwargs)
        if item is not None:
            _reindex(self.get_table(table_name), item)
        return item

    Table.query = query  # type: ignore[method-assign]
    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]
