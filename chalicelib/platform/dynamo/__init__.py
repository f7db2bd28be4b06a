"""DynamoDB access of the platform: dict items (:mod:`.items`), queries and pages (:mod:`.pages`), the one
transaction (:mod:`.tx`), batch reads and writes (:mod:`.batch`), sealed page cursors (:mod:`.cursors`).

This package's own names are the interface of the dict-based item access, used by the contexts whose items have
no model yet (``from chalicelib.platform import dynamo``; ``dynamo.get``, ``dynamo.TxBuilder``, ...): it goes away
with them in Phase C of issue 12. Item models import :mod:`.models` (pynamodb; imported only where a model is
used, never here, to keep pynamodb off the cold start of functions that need none).
"""
from __future__ import annotations

from chalicelib.platform.dynamo.batch import batch_get, batch_put
from chalicelib.platform.dynamo.items import client, from_item, get, not_storable, to_item
from chalicelib.platform.dynamo.pages import (
    MAX_READS_PER_PAGE,
    Filter,
    Page,
    decode_cursor,
    decode_unit_cursor,
    encode_cursor,
    encode_unit_cursor,
    key_attributes,
    query,
    query_all,
    query_page,
    scope_filter,
    sort_condition,
)
from chalicelib.platform.dynamo.tx import (
    RETRYABLE_CONFLICTS,
    Audit,
    Transaction,
    TxBuilder,
    cancellation_error,
    put_versioned,
    reason_error,
    retry_conflicts,
)

__all__ = ["MAX_READS_PER_PAGE", "RETRYABLE_CONFLICTS", "Audit", "Filter", "Page", "Transaction", "TxBuilder",
           "batch_get", "batch_put", "cancellation_error", "client", "decode_cursor", "decode_unit_cursor", "encode_cursor",
           "encode_unit_cursor", "from_item", "get", "key_attributes", "not_storable", "put_versioned", "query",
           "query_all", "query_page", "reason_error", "retry_conflicts", "scope_filter", "sort_condition", "to_item"]
