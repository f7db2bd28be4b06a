"""Scenario control of the sandbox adapters (local and test stages only).

A control item ``SANDBOX#<adapter>`` / ``<key>`` holds a ``script``: the outcomes of the next calls, in
order (the last one repeats). ``calls`` counts the calls atomically, so concurrent callers each consume
one step. Example: ``set_scenario("core_banking", "DSB-DD-1#transfer", ["timeout", "ok"])``.
Writing a scenario outside the local and test stages raises RuntimeError.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform import dynamo


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().core_table


def set_scenario(adapter: str, key: str, script: list[str]) -> None:
    """Script the next outcomes of ``adapter`` for ``key`` (local/test stages only)."""
    from chalicelib.adapters import CONTROL_STAGES
    from chalicelib.platform.settings import get_settings

    if get_settings().stage not in CONTROL_STAGES:
        raise RuntimeError("sandbox scenarios can only be set in the local and test stages")
    dynamo.batch_put(_table(), [{"PK": f"SANDBOX#{adapter}", "SK": key, "script": list(script), "calls": 0}])


def next_outcome(adapter: str, key: str, default: str) -> str:
    """The scripted outcome of this call (``default`` when nothing is scripted); counts the call (one
    atomic update, so concurrent callers each consume one step)."""
    resp = dynamo.client().update_item(
        TableName=_table(), Key=dynamo.to_item({"PK": f"SANDBOX#{adapter}", "SK": key}),
        UpdateExpression="SET calls = if_not_exists(calls, :zero) + :one",
        ExpressionAttributeValues=dynamo.to_item({":zero": 0, ":one": 1}), ReturnValues="ALL_NEW")
    item = dynamo.from_item(resp["Attributes"])
    script = item.get("script") or [default]
    return str(script[min(int(item["calls"]) - 1, len(script) - 1)])


def calls(adapter: str, key: str) -> int:
    """How many calls :func:`next_outcome` counted for ``key``."""
    item = dynamo.get(_table(), f"SANDBOX#{adapter}", key)
    return int(item["calls"]) if item else 0


def put_record(adapter: str, key: str, record: dict[str, Any], *, only_once: bool = False) -> bool:
    """Store what a sandbox did (a transfer, a message). ``only_once``: False if ``key`` exists already."""
    from chalicelib.platform.errors import Conflict

    tx = dynamo.TxBuilder().put(_table(), {"PK": f"SANDBOX#{adapter}#LOG", "SK": key, **record},
                                condition="attribute_not_exists(PK)" if only_once else None,
                                on_fail=Conflict("exists", code="SANDBOX_RECORD_EXISTS"))
    try:
        tx.commit()
    except Conflict:
        return False
    return True


def get_record(adapter: str, key: str) -> dict[str, Any] | None:
    return dynamo.get(_table(), f"SANDBOX#{adapter}#LOG", key)


def records(adapter: str, prefix: str = "") -> list[dict[str, Any]]:
    """What the sandbox ``adapter`` did, optionally only keys starting with ``prefix``."""
    return dynamo.query_all(_table(), pk_value=f"SANDBOX#{adapter}#LOG", sk_prefix=prefix or None,
                            consistent=True)


def put_list_entry(adapter: str, key: str, entry: dict[str, Any]) -> None:
    """Put ``entry`` on the sandbox ``adapter``'s list under ``key`` (replacing an entry with that key): the data
    a list-shaped sandbox (the judicial enforcement list) answers from. Local and test stages only (the caller
    checks)."""
    dynamo.batch_put(_table(), [{"PK": f"SANDBOX#{adapter}#LIST", "SK": key, **entry}])


def list_entries(adapter: str) -> list[dict[str, Any]]:
    """Every entry of the sandbox ``adapter``'s list (consistent read)."""
    return [{k: v for k, v in item.items() if k not in ("PK", "SK")}
            for item in dynamo.query_all(_table(), pk_value=f"SANDBOX#{adapter}#LIST", consistent=True)]
