"""Idempotency for money-moving requests, on Powertools' DynamoDB persistence layer.

The record key is ``<user>:<METHOD>:<route>:<Idempotency-Key>``; the stored payload hash covers
the path parameters and the validated body, so reusing a key for a different request is refused
(422 ``IDEMPOTENCY_KEY_REUSED``). Results are kept 24 hours. Domain errors are not cached (Powertools
deletes the in-progress record when the function raises), so a client may fix its input and retry.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any


@cache
def _config_and_store() -> tuple[Any, Any]:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

    from chalicelib.platform.settings import get_settings

    store = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)
    config = IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="payload",
                               expires_after_seconds=24 * 3600, raise_on_no_idempotency_key=True)
    return config, store


def run_once(fn: Callable[[dict[str, Any]], dict[str, Any]], record: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    """Call ``fn(record)`` once per ``record["key"]``; later calls return the stored result."""
    from aws_lambda_powertools.utilities.idempotency import idempotent_function

    config, store = _config_and_store()
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)
    wrapped = idempotent_function(data_keyword_argument="record", persistence_store=store, config=config)(fn)
    return wrapped(record=record)
