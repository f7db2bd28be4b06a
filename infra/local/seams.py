"""The places where the local stack reaches into moto's internals. Kept here, small, and guarded
by ``tests/infra/test_seams.py``, which fails loudly if a moto upgrade renames what they patch.

1. ``LambdaFunction._invoke_lambda(self, event) -> (payload_json, errored, logs)``: moto runs Lambda
   code only in Docker; we replace it to import the function's real handler (``Handler`` in the
   template) and call it in this process. One seam serves direct invokes, Step Functions tasks and
   queue triggers. An exception becomes a Lambda error payload ``{"errorType", "errorMessage"}``,
   which is what Step Functions' Retry/Catch match on.
2. ``DynamoHandler.call_action``: moto checks a condition and writes without a lock, so concurrent
   conditional writes are not atomic. Real DynamoDB is atomic per item and per transaction; we
   serialise every DynamoDB call with one lock so the local stack shows the same behaviour. The same
   wrapper counts the requests for the benchmarks (:func:`dynamodb_requests`).
3. ``DynamoDBBackend.transact_write_items`` deep-copies a whole table (for its rollback) once per
   *operation* of the transaction: a 100-operation transaction on a table of a few thousand items
   took seconds, and every transaction got slower as the table grew. We save only the partitions the
   transaction touches, deep-copying only the items it updates in place, and put them back ourselves
   when it fails (same rollback semantics; checked by ``tests/infra/test_transaction_rollback_seam.py``
   and ``tests/infra/test_query_seam.py``). No table copy is made, so none is left in moto's
   ``instances_tracked`` either.
4. ``Table.query`` walks *every item of the table* for each query, base table and index alike, so
   every query cost O(table): the 100,000-loan post-loan benchmark would have taken hours. We hand it
   only the candidates of the queried partition: the base table's own partition dict, or a per-index
   map hash value → items kept current by wrapping ``Table.put_item``, ``Table.delete_item`` and
   ``DynamoDBBackend.update_item`` (built lazily per index, dropped with a transaction's rollback
   snapshot). moto's own sorting, key conditions, filters and paging run unchanged on the candidates;
   results are checked against scans by ``tests/infra/test_query_seam.py``.
5. Cognito user pools (``moto.cognitoidp``), so the local pool keeps the template's rules as Cognito
   does on AWS (ADR 0013):

   * ``CognitoIdpUserPool.__init__`` loads moto's bundled private key (``resources/jwks-private.json``,
     published with moto, so anyone can forge tokens it signs). Each pool now signs with an RSA-2048
     key generated when the pool is created, i.e. per stack start; the JWKS URL
     (``/{pool_id}/.well-known/jwks.json``, moto's ``url_paths`` entry) serves that pool's public half
     (404 for an unknown pool) instead of moto's bundled public key. The ``kid`` stays ``dummy``
     because ``CognitoIdpUserPool.create_jwt`` hard-codes it in every token header.
   * ``CognitoIdpBackend.update_user_attributes`` (a user's own access token) writes any attribute;
     Cognito refuses an attribute outside the app client's ``WriteAttributes`` with
     ``NotAuthorizedException`` and writes nothing. Enforced here, as is ``sign_up``: refused outright
     when the pool has ``AllowAdminCreateUserOnly`` (moto ignores it and confirms any code), else its
     attributes are held to ``WriteAttributes`` too. Administrator calls (``AdminCreateUser``,
     ``AdminUpdateUserAttributes``) are not limited by an app client, here as on AWS.
"""
from __future__ import annotations

import importlib
import json
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
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
        result = resolve_handler(str(self.handler))(payload, _context(self))
        return json.dumps(result, default=str), False, ""
    except Exception as exc:  # noqa: BLE001 - reported as a Lambda function error, like the real service
        body = {"errorType": type(exc).__name__, "errorMessage": str(exc),
                "stackTrace": traceback.format_exception(exc)[-3:]}
        return json.dumps(body), True, traceback.format_exc()


_original_call_action = DynamoHandler.call_action
#: Open :func:`dynamodb_requests` counters (benchmarks); every DynamoDB request of every client counts once.
_COUNTERS: list[Counter[str]] = []


def _serialised_call_action(self: DynamoHandler) -> Any:
    with _DYNAMO_LOCK:
        if _COUNTERS:
            headers = self.headers or {}
            target = headers.get("X-Amz-Target") or headers.get("x-amz-target") or "?"
            for counter in _COUNTERS:
                counter[target.rsplit(".", 1)[-1]] += 1
        return _original_call_action(self)


@contextmanager
def dynamodb_requests() -> Iterator[Counter[str]]:
    """Count the DynamoDB requests the local stack's moto server answers while the block runs, by operation
    (``GetItem``, ``TransactWriteItems``, ...): every client of the process (API, Powertools' idempotency
    layer, state-machine tasks; boto3 or pynamodb alike) reaches moto through seam 2, so this one place
    counts them the same way whatever code makes them (the benchmarks' requests per drawdown and per
    campaign household). Needs :func:`install` (the local stack installs it)."""
    if not _installed:
        raise RuntimeError("install the local-stack seams first (infra.local.seams.install)")
    counter: Counter[str] = Counter()
    with _DYNAMO_LOCK:
        _COUNTERS.append(counter)
    try:
        yield counter
    finally:
        with _DYNAMO_LOCK:
            _COUNTERS[:] = [c for c in _COUNTERS if c is not counter]


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
    _install_user_pool_rules()
    _installed = True


class _TouchedPartitions:
    """Stand-in for the ``copy`` module inside one ``transact_write_items`` call, and the rollback.

    moto snapshots each table for its rollback with ``copy.deepcopy(table)``, once per operation, and on
    a failure puts the snapshot in the table's place. Here ``deepcopy(table)`` saves only the partitions
    the transaction's operations touch (the partition dict, sharing the Item objects, with deep copies of
    the items it *updates* in place, which moto mutates) and returns the live table itself, so moto's
    "restore" is a no-op; :meth:`rollback` then puts the saved partitions back and re-indexes the items
    for seam 4. A transaction costs O(its items), not O(table).
    """

    def __init__(self, transact_items: Any) -> None:
        self._ops: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for op in transact_items or ():
            kind, body = next(iter(op.items()))
            key = body.get("Item") if kind == "Put" else body.get("Key")
            self._ops.setdefault(body.get("TableName"), []).append((kind, key or {}))
        self._saved: dict[int, tuple[Any, dict[Any, Any]]] = {}

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        import copy

        from moto.dynamodb.models.dynamo_type import DynamoType
        from moto.dynamodb.models.table import Table

        if not isinstance(obj, Table):
            return copy.deepcopy(obj, memo)
        if id(obj) in self._saved:
            return obj
        ranged = bool(obj.range_key_attr)
        saved: dict[Any, Any] = {}
        updated: set[tuple[Any, Any]] = set()
        for kind, key in self._ops.get(obj.name, []):
            if obj.hash_key_attr not in key:
                continue
            hv = DynamoType(key[obj.hash_key_attr])
            if hv not in saved:
                part = obj.items.get(hv)
                saved[hv] = (dict(part) if ranged else part) if part is not None else None
            if kind == "Update":
                rv = DynamoType(key[obj.range_key_attr]) if ranged and obj.range_key_attr in key else None
                updated.add((hv, rv))
        for hv, rv in updated:
            part = saved.get(hv)
            if part is None:
                continue
            if ranged and rv in part:
                part[rv] = copy.deepcopy(part[rv])
            elif not ranged:
                saved[hv] = copy.deepcopy(part)
        self._saved[id(obj)] = (obj, saved)
        return obj

    def rollback(self) -> None:
        """Put every saved partition back (the transaction failed)."""
        for table, saved in self._saved.values():
            ranged = bool(table.range_key_attr)
            for hv, part in saved.items():
                now = table.items.get(hv)
                for item in ((now or {}).values() if ranged else ([now] if now is not None else [])):
                    _unplace(table, item)
                if part is None:
                    table.items.pop(hv, None)
                    continue
                table.items[hv] = dict(part) if ranged else part
                for item in (part.values() if ranged else [part]):
                    _reindex(table, item)


def _install_transact_copy_once() -> None:
    import moto.dynamodb.models as ddb_models

    backend = ddb_models.DynamoDBBackend
    if not hasattr(backend, "transact_write_items") or not hasattr(ddb_models, "copy"):
        raise RuntimeError("moto changed DynamoDBBackend.transact_write_items: update infra/local/seams.py")
    original = backend.transact_write_items

    def transact_write_items(self: Any, transact_items: Any) -> Any:
        with _DYNAMO_LOCK:  # the module attribute is swapped for the duration of this call only
            saved = ddb_models.copy
            touched = _TouchedPartitions(transact_items)
            ddb_models.copy = touched  # type: ignore[assignment]
            try:
                return original(self, transact_items)
            except Exception:
                touched.rollback()
                raise
            finally:
                ddb_models.copy = saved

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


# ------------------------------------------------------------------------------ seam 5: user pools
#: Cognito's message for a write outside the app client's WriteAttributes (NotAuthorizedException).
UNAUTHORIZED_ATTRIBUTE = "A client attempted to write unauthorized attribute"
_JWKS_PATH = "{0}/(?P<user_pool_id>[^/]+)/.well-known/jwks.json$"
_KID = "dummy"  # what CognitoIdpUserPool.create_jwt puts in every header


def _user_pools() -> Any:
    from moto.cognitoidp.models import cognitoidp_backends

    for account_backends in list(cognitoidp_backends.values()):
        for region, backend in list(account_backends.items()):
            if region != "global":
                yield from list(backend.user_pools.values())


def signing_key(user_pool_id: str) -> Any:
    """The private ``joserfc`` RSA key the local pool ``user_pool_id`` signs its tokens with (tests sign
    their own tokens with it, e.g. an expired one). Raises ``KeyError`` for an unknown pool."""
    for pool in _user_pools():
        if pool.id == user_pool_id:
            return pool.json_web_key
    raise KeyError(user_pool_id)


def _serve_pool_jwks(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
    """The JWKS of the pool named in the URL: its own public key (``kid`` ``dummy``, RS256)."""
    from urllib.parse import urlparse

    pool_id = urlparse(full_url).path.strip("/").split("/")[0]
    try:
        key = signing_key(pool_id)
    except KeyError:
        body = {"message": f"User pool {pool_id} does not exist."}
        return 404, {"Content-Type": "application/json"}, json.dumps(body).encode()
    public = {**key.as_dict(private=False), "kid": _KID, "alg": "RS256", "use": "sig"}
    return 200, {"Content-Type": "application/json"}, json.dumps({"keys": [public]}).encode()


def _refuse_unwritable(client: Any, names: list[str]) -> None:
    """NotAuthorizedException unless ``client`` may write every attribute in ``names``. An app client
    without ``WriteAttributes`` may write the standard attributes only (Cognito's documented default)."""
    from moto.cognitoidp.exceptions import NotAuthorizedError

    allowed = (client.extended_config.get("WriteAttributes") if client is not None else None) or None
    for name in names:
        if (name not in allowed) if allowed else name.startswith(("custom:", "dev:")):
            raise NotAuthorizedError(UNAUTHORIZED_ATTRIBUTE)


def _install_user_pool_rules() -> None:
    import moto.cognitoidp.urls as idp_urls
    from joserfc import jwk
    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool
    from moto.cognitoidp.responses import CognitoIdpJsonWebKeyResponse

    if idp_urls.url_paths.get(_JWKS_PATH) is not CognitoIdpJsonWebKeyResponse.serve_json_web_key:
        raise RuntimeError("moto changed the Cognito JWKS route: update infra/local/seams.py")
    for owner, name in ((CognitoIdpBackend, "update_user_attributes"), (CognitoIdpBackend, "sign_up"),
                        (CognitoIdpUserPool, "create_jwt")):
        if not callable(getattr(owner, name, None)):
            raise RuntimeError(f"moto renamed {owner.__name__}.{name}: update infra/local/seams.py")
    original_init = CognitoIdpUserPool.__init__
    original_update, original_sign_up = CognitoIdpBackend.update_user_attributes, CognitoIdpBackend.sign_up

    def pool_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if not hasattr(self, "json_web_key"):
            raise RuntimeError("moto renamed CognitoIdpUserPool.json_web_key: update infra/local/seams.py")
        self.json_web_key = jwk.RSAKey.generate_key(2048, private=True)

    def update_user_attributes(self: Any, access_token: str, attributes: list[dict[str, str]]) -> None:
        for pool in self.user_pools.values():
            if access_token in pool.access_tokens:
                client_id, _ = pool.access_tokens[access_token]
                _refuse_unwritable(pool.clients.get(client_id), [a["Name"] for a in attributes or []])
        return original_update(self, access_token, attributes)

    def sign_up(self: Any, client_id: str, username: str, password: str, attributes: list[dict[str, str]]) -> Any:
        for pool in self.user_pools.values():
            if client_id in pool.clients:
                if (pool.extended_config.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
                    raise NotAuthorizedError("SignUp is not permitted for this user pool")
                _refuse_unwritable(pool.clients[client_id], [a["Name"] for a in attributes or []])
        return original_sign_up(self, client_id, username, password, attributes)

    CognitoIdpUserPool.__init__ = pool_init  # type: ignore[method-assign]
    CognitoIdpBackend.update_user_attributes = update_user_attributes  # type: ignore[method-assign]
    CognitoIdpBackend.sign_up = sign_up  # type: ignore[method-assign]
    CognitoIdpJsonWebKeyResponse.serve_json_web_key = staticmethod(_serve_pool_jwks)  # type: ignore[method-assign]
    idp_urls.url_paths[_JWKS_PATH] = _serve_pool_jwks
