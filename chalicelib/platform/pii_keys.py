"""Wrapped (KMS-encrypted) data keys of the personal-data envelope encryption (``chalicelib.platform.pii``).

Item (core table): ``PIIKEY#<key_id>`` / ``PIIKEY`` with ``wrapped_key`` (base64 of the KMS
ciphertext blob), ``kms_key_id`` and ``created_at``. Written once when a process generates a data
key; read when a ciphertext names a key this process has not unwrapped yet. Never holds a plaintext key.
"""
from __future__ import annotations

import base64

from chalicelib.platform import dynamo
from chalicelib.platform.clock import utc_now_iso


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().core_table


def put_wrapped(key_id: str, wrapped: bytes, kms_key_id: str) -> None:
    """Store a wrapped data key (idempotent: the id is derived from the blob)."""
    dynamo.client().put_item(TableName=_table(), Item=dynamo.to_item({
        "PK": f"PIIKEY#{key_id}", "SK": "PIIKEY", "kind": "pii_data_key", "key_id": key_id,
        "wrapped_key": base64.b64encode(wrapped).decode(), "kms_key_id": kms_key_id, "created_at": utc_now_iso()}))


def get_wrapped(key_id: str) -> bytes | None:
    """The wrapped data key of ``key_id``, or ``None``."""
    item = dynamo.get(_table(), f"PIIKEY#{key_id}", "PIIKEY")
    return base64.b64decode(item["wrapped_key"]) if item else None
